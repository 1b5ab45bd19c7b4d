/**
 * `any(...)` and `all(...)`: permission rules made of other rules, for the `permissions` table.
 * Both are fail closed like every rule (only a literal `true` counts) and stop at the first answer
 * that decides (`any` at the first `true`, `all` at the first refusal); rules run in the order given.
 * (One exception: `all` refused for a scope still asks its later `scope()` rules — side-effect-free
 * checks — so the 403 can name every missing scope.)
 */
import { describeRule } from './rule-shape.js';
import { isScopeRule, missingScopeCount } from './scopes.js';
import type { PermissionRule } from './roles.js';

function checkRules(rules: readonly unknown[], name: string): asserts rules is PermissionRule[] {
  if (rules.length === 0 || rules.some((rule) => typeof rule !== 'function')) {
    throw new TypeError(`${name}() needs one or more rules (allow, authenticated, role('admin'), scope('posts:write'), …).`);
  }
}

/**
 * Rule: passes when any one of `rules` passes.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Create: any(role('admin'), scope('posts:write')) };
 * ```
 */
export function any(...rules: [PermissionRule, ...PermissionRule[]]): PermissionRule {
  checkRules(rules, 'any');
  const list = [...rules];
  return describeRule(async (ctx) => {
    for (const rule of list) if ((await rule(ctx)) === true) return true;
    return false;
  }, { kind: 'any', rules: list });
}

/**
 * Rule: passes when every one of `rules` passes.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Delete: all(role('editor'), scope('posts:delete')) };
 * ```
 */
export function all(...rules: [PermissionRule, ...PermissionRule[]]): PermissionRule {
  checkRules(rules, 'all');
  const list = [...rules];
  return describeRule(async (ctx) => {
    for (const [index, rule] of list.entries()) {
      const before = missingScopeCount();
      if ((await rule(ctx)) === true) continue;
      // Refused for a scope: the later scope rules say which other scopes are missing too, so the 403
      // names every scope the caller needs, not one per retry.
      if (missingScopeCount() > before) for (const later of list.slice(index + 1)) if (isScopeRule(later)) await later(ctx);
      return false;
    }
    return true;
  }, { kind: 'all', rules: list });
}
