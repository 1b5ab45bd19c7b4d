/**
 * Resource instances the library creates on its own while serving one request: related resources
 * (a reference, sub-document or computed field serialized by another resource) and child resources
 * (one per discriminator of a polymorphic collection). Each remembers how deep it is nested and whether
 * it answers the client's `_fields` (top level) or outputs its own default fields (nested).
 */
import { Resource, type ResourceClass } from '../resource.js';
import { requestFieldsOf } from '../resource/request-fields.js';
import { scopeKey, stateKey } from '../resource/scope.js';
import type { RequestContext } from '../types.js';

/** Relations nested deeper than this are output as they are stored (ids), which ends reference cycles. */
export const MAX_RELATION_DEPTH = 8;

export interface Nesting {
  /** True for related resources: `_fields` names the top-level fields only. */
  readonly nested: boolean;
  /** 0 for the resource the view serves (and its child resources), +1 per relation followed. */
  readonly depth: number;
  /** The fields of a nested resource, computed once per instance. */
  fields?: readonly string[] | Promise<readonly string[]>;
}

const topLevel: Nesting = { nested: false, depth: 0 };

/** How deep `resource` sits in the response (0 at the top). */
export function depthOf(resource: Resource): number {
  return (resource[stateKey].nesting ?? topLevel).depth;
}

/**
 * A related resource serving documents nested under `parent`: no view permissions apply to it (its own
 * `getQueryset` and permission hooks do), it keeps the parent's database deadline, and it outputs its
 * default fields.
 */
export function spawnRelated(parent: Resource, Class: ResourceClass): Resource {
  const related = new Class();
  const { databaseTimeoutMS, deadline } = parent[scopeKey];
  related[scopeKey] = { ...related[scopeKey], databaseTimeoutMS, deadline };
  related[stateKey].nesting = { nested: true, depth: depthOf(parent) + 1 };
  return related;
}

/** A child resource standing in for `parent` (same view, same permissions, same nesting). */
export function spawnChild(parent: Resource, Class: ResourceClass): Resource {
  const child = new Class();
  child[scopeKey] = parent[scopeKey];
  const state = parent[stateKey].nesting;
  if (state) child[stateKey].nesting = { nested: state.nested, depth: state.depth };
  return child;
}

/**
 * The internal names of the fields `resource` outputs in this request: `requestFields(ctx)` at the top
 * level; for a nested resource, its `getFields` without the client's `_fields` (which names top-level fields).
 */
export function fieldsFor(resource: Resource, ctx: RequestContext): readonly string[] | Promise<readonly string[]> {
  const state = resource[stateKey].nesting;
  if (!state?.nested) return requestFieldsOf(resource, ctx);
  // The default getFields without `_fields` is the default fields: no view of the context to build.
  state.fields ??= resource.getFields === Resource.prototype.getFields ? resource.meta.fields : Promise.resolve(resource.getFields(withoutFieldsParam(ctx)));
  return state.fields;
}

/** The request's context, seen with a query string that has no `_fields`. */
function withoutFieldsParam(ctx: RequestContext): RequestContext {
  const { _fields: _ignored, ...query } = ctx.query;
  return Object.create(ctx, { query: { value: query, enumerable: true } }) as RequestContext;
}
