/**
 * The parent of a nested request (`/posts/<postPk>/comments/…`): looked up once, right after
 * authentication and before the body is read, through the parent view — its resource's `getQueryset`,
 * the resource's and the parent view's `hasReadPermission`, with the request's `ctx` — so a parent the
 * caller cannot read is exactly as absent as one that does not exist (404). What it finds narrows every
 * lookup of the request (lib/resource.ts `readableQuery`) and gives the request its collection URL.
 */
import { NotFound } from '../errors.js';
import { castId } from '../query/ids.js';
import type { RequestContext } from '../types.js';
import type { ViewBinding } from '../serve/binding.js';
import type { ParentLink } from './parent.js';

/** What the resource serving a nested request knows about its parent (on its request scope). */
export interface ParentScope {
  /** Internal name of the child's field holding the parent's id. */
  readonly field: string;
  /** Its name in bodies (for errors). */
  readonly apiField: string;
  /** The parent's `_id`, as stored. */
  readonly id: unknown;
}

/** A parent found for a request of the nested view `binding`. */
interface ParentMatch {
  readonly binding: ViewBinding;
  readonly scope: ParentScope;
  /** The request's collection URL, prefix included, no trailing slash: `/api/posts/<id>/comments`. */
  readonly path: string;
}

const matches = new WeakMap<RequestContext, ParentMatch>();

/**
 * Finds the parent named by `rawPk` for a request of `binding` (nested under `link`), else 404 (a pk that
 * cannot be the parent's `_id` type included). Only `_id` is loaded. Resources the binding makes for the
 * request from now on carry the returned scope (`parentScopeOf`); one made earlier is given it.
 */
export async function resolveParentOf(ctx: RequestContext, binding: ViewBinding, link: ParentLink, childBase: string, rawPk: unknown): Promise<ParentScope> {
  const parent = link.binding;
  const id = typeof rawPk === 'string' ? castId(parent.meta.schema, rawPk) : undefined;
  if (id === undefined) throw new NotFound();
  const resource = parent.newResource(ctx);
  const query = await resource.readableQuery(ctx, { _id: id });
  const found = (await resource.run(query.select({ _id: 1 }).findOne().lean())) as { _id: unknown } | null;
  if (!found) throw new NotFound();
  // The canonical spelling of the id (an ObjectId in lower case…): one URL, one cursor scope, one key scope.
  const path = `${parent.path}/${encodeURIComponent(String(found._id))}${childBase}`;
  const scope = { field: link.field, apiField: link.apiField, id: found._id };
  matches.set(ctx, { binding, path, scope });
  return scope;
}

/** The parent found for this request of `binding`, if `binding` is nested. */
export function parentScopeOf(ctx: RequestContext, binding: ViewBinding): ParentScope | undefined {
  const match = matches.get(ctx);
  return match?.binding === binding ? match.scope : undefined;
}

/** The request's collection URL for `binding`: the nested one once its parent was found. */
export function collectionPathOf(ctx: RequestContext, binding: ViewBinding): string {
  const match = matches.get(ctx);
  return match?.binding === binding ? match.path : binding.path;
}
