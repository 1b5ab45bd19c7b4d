/**
 * The permission hooks as every lookup and write applies them: the resource's own first (rules that hold
 * wherever its documents are used), then the view's (rules of one endpoint). Fail closed: only `true` allows.
 */
import { isDeepStrictEqual } from 'node:util';
import { Forbidden } from '../errors.js';
import { isPlainObject } from '../guards.js';
import { settleThen } from '../maybe-promise.js';
import { callQueryHook } from '../query/thenable.js';
import { Resource } from '../resource.js';
import type { AnyDocument, AnyQuery, MaybePromise, RequestContext } from '../types.js';
import { scopeKey, type PermissionHooks } from './scope.js';

/** Permission hooks answer `true` to allow; anything else (false, undefined) refuses: fail closed. */
function authorize(allowed: boolean): void {
  if (allowed !== true) throw new Forbidden();
}

/** The write hooks, shared by Resource and ResourceView. */
export type WriteHook = 'hasAddPermission' | 'hasChangePermission' | 'hasDeletePermission';

/**
 * Whether `resource` overrides a permission hook. The defaults allow everything, so a resource that
 * keeps them costs nothing: no call, no await, no filter snapshot.
 */
function overrides(resource: Resource, hook: keyof PermissionHooks): boolean {
  return resource[hook] !== Resource.prototype[hook];
}

/**
 * Authorizes a write on `doc`: the resource's own hook first, then the view's (a related resource has
 * no view: its scope allows everything). Both must answer `true`; the first refusal is 403.
 */
export function authorizeWrite(resource: Resource, hook: WriteHook, ctx: RequestContext, doc: AnyDocument): MaybePromise<void> {
  // A hook's answer is waited for only when it is a thenable: the defaults answer `true` at once, and
  // the common write then makes no promise here.
  const viewHook = () => settleThen(resource[scopeKey].permissions[hook](ctx, doc), authorize);
  return overrides(resource, hook) ? settleThen(resource[hook](ctx, doc), (allowed) => (authorize(allowed), viewHook())) : viewHook();
}

/**
 * The queryset narrowed for the reader: the resource's `hasReadPermission` first (the rule that holds
 * wherever its documents are read), then the view's, which sees the query already narrowed. Both narrow:
 * if the view's hook replaced one of the resource's conditions (`query.where({ owner })` on a key the
 * resource set replaces it), the resource's conditions are ANDed back in.
 */
export async function narrowForReader(resource: Resource, ctx: RequestContext, base: AnyQuery): Promise<AnyQuery> {
  const { permissions } = resource[scopeKey];
  const viewHook = (query: AnyQuery) => permissions.hasReadPermission(ctx, query);
  if (!overrides(resource, 'hasReadPermission')) return callQueryHook(base, 'hasReadPermission', viewHook);
  const narrowed = await callQueryHook(base, `${resource.meta.name}.hasReadPermission`, (query) => resource.hasReadPermission(ctx, query));
  // A copy: Mongoose merges later `where` objects into the filter's nested objects in place.
  const own = copyFilter(narrowed.getFilter());
  const query = await callQueryHook(narrowed, 'hasReadPermission', viewHook);
  const filter = query.getFilter();
  if (!Object.keys(own).every((key) => isDeepStrictEqual(filter[key], own[key]))) query.and([own]);
  return query;
}

/** A copy of a filter's objects and arrays; leaf values (ObjectId, Date, RegExp…) are shared. */
function copyFilter<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyFilter) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyFilter(item);
  return copy as T;
}
