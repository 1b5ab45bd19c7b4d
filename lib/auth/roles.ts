/**
 * Declarative per-method permissions: `permissions = { List: allow, Create: role('admin') }` on a view.
 * Keyed on the method marker's name and deny-by-default, so a method that is not listed — including
 * markers added to the library later — is refused. Evaluated right after authentication, before the
 * body is read or the database is used. The permission hooks remain the general mechanism; this is the
 * short form for the common "who may call what" table.
 */
import { Forbidden } from '../errors.js';
import { allMethods, type MethodName } from '../methods.js';
import type { MaybePromise, RequestContext } from '../types.js';
import { unauthorizedFor, type AuthenticationBase } from './authentication.js';
import { evaluateRule, insufficientScope } from './scopes.js';

/**
 * Decides whether the request may call one method: `true` allows, anything else refuses. May be async;
 * throwing answers 500 (fail closed). `ctx.state.user` is already set by authentication.
 */
export type PermissionRule = (ctx: RequestContext) => MaybePromise<boolean>;

/**
 * A view's `permissions`: method-marker name (or the name of one of the view's custom actions) → rule.
 * Methods and actions not listed are refused; a name that is neither throws at registration.
 */
export type MethodPermissions = { readonly [name in MethodName]?: PermissionRule } & { readonly [action: string]: PermissionRule | undefined };

/**
 * Rule: anyone, authenticated or not.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Fetch: allow };
 * ```
 */
export const allow: PermissionRule = () => true;

/**
 * Rule: no one. The same as leaving the method out, but says so explicitly.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Delete: deny };
 * ```
 */
export const deny: PermissionRule = () => false;

/**
 * Rule: any authenticated user (`ctx.state.user` is set), whatever their roles.
 *
 * @example
 * ```ts
 * permissions = { List: allow, Create: authenticated };
 * ```
 */
export const authenticated: PermissionRule = (ctx) => currentUser(ctx) !== undefined;

/**
 * Rule: a user holding at least one of the given roles, read from `ctx.state.user.roles` (an array of
 * strings; anything else counts as no roles).
 *
 * @example
 * ```ts
 * permissions = { List: allow, Create: role('editor', 'admin'), Delete: role('admin') };
 * ```
 */
export function role(...names: [string, ...string[]]): PermissionRule {
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError('role() needs one or more non-empty role names.');
  }
  const wanted = new Set(names);
  return (ctx) => rolesOf(currentUser(ctx)).some((held) => wanted.has(held));
}

/**
 * The roles a user holds: `user.roles` when it is an array (its string entries), else none.
 *
 * @example
 * ```ts
 * rolesOf({ id: 'u1', roles: ['admin'] }); // ['admin']
 * rolesOf(undefined);                      // []
 * ```
 */
export function rolesOf(user: unknown): readonly string[] {
  if (user === null || typeof user !== 'object') return [];
  const roles: unknown = (user as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles.filter((entry): entry is string => typeof entry === 'string') : [];
}

function currentUser(ctx: RequestContext): unknown {
  const user: unknown = (ctx.state as Record<string, unknown> | undefined)?.user;
  return user === null || user === undefined || user === false ? undefined : user;
}

const knownNames: ReadonlySet<string> = new Set(allMethods.map((marker) => marker.name));

/**
 * Checks a view's `permissions` at registration: a plain object whose keys are method names (or names
 * of the view's `actions`) and whose values are rules. A misspelled name would silently deny, so it
 * throws a `TypeError` instead.
 *
 * @internal
 * @example
 * ```ts
 * checkPermissionTable({ List: allow, Craete: role('admin') }, 'PostView'); // TypeError: unknown method "Craete"
 * ```
 */
export function checkPermissionTable(permissions: unknown, viewName: string, actionNames: readonly string[] = []): void {
  if (permissions === undefined) return;
  if (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions)) {
    throw new TypeError(`${viewName}.permissions must be an object mapping method names to rules.`);
  }
  for (const [name, rule] of Object.entries(permissions)) {
    if (!knownNames.has(name) && !actionNames.includes(name)) {
      const known = [...knownNames, ...actionNames].join(', ');
      throw new TypeError(`${viewName}.permissions names an unknown method ${JSON.stringify(name)} (known: ${known}).`);
    }
    if (typeof rule !== 'function') throw new TypeError(`${viewName}.permissions.${name} must be a rule function (allow, role('admin'), …).`);
  }
}

/**
 * Applies a view's `permissions` to one request for the method `name`. No table: nothing to check.
 * A method not in the table → 403. A rule that refuses → 403 when there is a user (with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` when scope rules refused it), 401
 * (with the strategies' `WWW-Authenticate`) when there is none, since credentials could change the answer.
 *
 * @internal
 * @example
 * ```ts
 * await checkMethodPermission(ctx, view.permissions, marker.name, strategies);
 * ```
 */
export async function checkMethodPermission(
  ctx: RequestContext,
  permissions: MethodPermissions | undefined,
  name: string,
  strategies: readonly AuthenticationBase[],
): Promise<void> {
  if (permissions === undefined) return;
  const rule = Object.hasOwn(permissions, name) ? (permissions as Record<string, PermissionRule | undefined>)[name] : undefined;
  if (typeof rule !== 'function') throw new Forbidden();
  const { allowed, missingScopes } = await evaluateRule(rule, ctx);
  if (allowed) return;
  if (currentUser(ctx) === undefined) throw unauthorizedFor(strategies, ctx);
  throw missingScopes.length > 0 ? insufficientScope(missingScopes, strategies) : new Forbidden();
}
