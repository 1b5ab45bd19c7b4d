/**
 * OAuth2 scopes in the `permissions` table: `scope('posts:write')` passes when the user holds the scope,
 * read from `user.scopes` (an array) or from the token claims `scope` / `scp` (a space-separated string
 * or an array). When a scope rule is why a user is refused, the 403 says which scopes would do
 * (`WWW-Authenticate: Bearer error="insufficient_scope", scope="posts:write"`, RFC 6750).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Forbidden } from '../errors.js';
import type { RequestContext } from '../types.js';
import type { AuthenticationBase } from './authentication.js';
import { describeRule } from './rule-shape.js';
import type { PermissionRule } from './roles.js';

/** RFC 6749 §3.3 scope-token: visible ASCII but space, `"` and `\` (so it can be quoted in a header). */
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Scopes the scope rules refused for, while one rule of the table is evaluated. */
const missing = new AsyncLocalStorage<Set<string>>();

/**
 * Rule: a user holding at least one of the given scopes (see {@link scopesOf}). `scope('a', 'b')` is
 * "a or b", like `role('a', 'b')`; ask for both with `all(scope('a'), scope('b'))`.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Create: scope('posts:write'), Delete: scope('posts:admin', 'admin') };
 * ```
 */
export function scope(...names: [string, ...string[]]): PermissionRule {
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || !scopeToken.test(name))) {
    throw new TypeError('scope() needs one or more scope names (visible ASCII, no spaces, quotes or backslashes).');
  }
  const wanted = [...new Set(names)];
  const rule = describeRule((ctx) => {
    const held = new Set(scopesOf(userOf(ctx)));
    if (wanted.some((name) => held.has(name))) return true;
    const refused = missing.getStore();
    if (refused) for (const name of wanted) refused.add(name);
    return false;
  }, { kind: 'scope', names: wanted });
  scopeRules.add(rule);
  return rule;
}

/**
 * The scopes a user holds: the strings of `user.scopes` (an array), `user.scope` and `user.scp` (each a
 * space-separated string or an array: OAuth2 and Microsoft-style token claims), together.
 *
 * @example
 * ```ts
 * scopesOf({ sub: 'u1', scope: 'posts:read posts:write' }); // ['posts:read', 'posts:write']
 * scopesOf({ scopes: ['admin'] });                          // ['admin']
 * ```
 */
export function scopesOf(user: unknown): string[] {
  if (user === null || typeof user !== 'object') return [];
  const found = new Set<string>();
  const { scopes, scope: claim, scp } = user as { scopes?: unknown; scope?: unknown; scp?: unknown };
  if (Array.isArray(scopes)) for (const entry of scopes) if (typeof entry === 'string' && entry !== '') found.add(entry);
  for (const value of [claim, scp]) {
    const entries: unknown[] = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
    for (const entry of entries) if (typeof entry === 'string' && entry !== '') found.add(entry);
  }
  return [...found];
}

/**
 * How many scopes have been noted as missing so far in the rule being evaluated (0 outside one).
 *
 * @internal
 * @example
 * ```ts
 * const before = missingScopeCount(); await rule(ctx); const refusedForScope = missingScopeCount() > before;
 * ```
 */
export function missingScopeCount(): number {
  return missing.getStore()?.size ?? 0;
}

/**
 * Whether `rule` is a bare `scope(...)` rule: a cheap check of the user's scopes, without side effects.
 *
 * @internal
 * @example
 * ```ts
 * isScopeRule(scope('a')); // true
 * ```
 */
export function isScopeRule(rule: PermissionRule): boolean {
  return scopeRules.has(rule);
}
const scopeRules = new WeakSet<PermissionRule>();

function userOf(ctx: RequestContext): unknown {
  return (ctx.state as Record<string, unknown> | undefined)?.user;
}

/**
 * Runs one rule of the table, noting the scopes whose absence refused it: those of the scope rules that
 * refused (so `all(role('editor'), scope('x'))` refused for the role names none), and when `all(...)` is
 * refused for a scope, those of its later scope rules the user lacks too (`all(scope('a'), scope('b'))`
 * without either names both).
 *
 * @internal
 * @example
 * ```ts
 * const { allowed, missingScopes } = await evaluateRule(rule, ctx);
 * ```
 */
export async function evaluateRule(rule: PermissionRule, ctx: RequestContext): Promise<{ allowed: boolean; missingScopes: string[] }> {
  const refused = new Set<string>();
  const allowed = (await missing.run(refused, () => rule(ctx))) === true;
  return { allowed, missingScopes: allowed ? [] : [...refused] };
}

/**
 * The 403 of a user refused for want of `scopes`: `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="…"`, with the realm of the view's bearer strategy when it names one.
 *
 * @internal
 * @example
 * ```ts
 * throw insufficientScope(['posts:write'], strategies);
 * ```
 */
export function insufficientScope(scopes: readonly string[], strategies: readonly AuthenticationBase[]): Forbidden {
  const bearer = strategies.map((strategy) => strategy.scheme).find((scheme) => scheme !== undefined && /^bearer(?: |$)/i.test(scheme));
  const prefix = bearer === undefined || /^bearer$/i.test(bearer) ? 'Bearer ' : `${bearer}, `;
  return new Forbidden({ 'WWW-Authenticate': `${prefix}error="insufficient_scope", scope="${scopes.join(' ')}"` });
}
