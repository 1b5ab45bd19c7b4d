/**
 * What one resource instance parses of its request once: the fields a response outputs (`getFields`,
 * `_fields`) and the page (`_skip`/`_limit`, see `Resource.pagePlan`), kept in the instance's state.
 */
import { requestState } from '../http/request-state.js';
import { firstValue, splitList } from '../query/params.js';
import type { ResourceMeta } from '../resource-meta.js';
import { Resource } from '../resource.js';
import type { RequestContext } from '../types.js';
import { stateKey, type ParsedRequest } from './scope.js';

/**
 * `resource.requestFields(ctx)`, as the array itself when it can be had without waiting (neither
 * `requestFields` overridden nor `getFields` asynchronous) — the common case, which then costs no turn
 * of the microtask queue per step of the request — else as the promise.
 */
export function requestFieldsOf(resource: Resource, ctx: RequestContext): readonly string[] | Promise<readonly string[]> {
  // An override's promise made native (it may be any thenable): maybe-promise.ts tells values by `instanceof Promise`.
  if (resource.requestFields !== Resource.prototype.requestFields) return Promise.resolve(resource.requestFields(ctx));
  return fieldsOnce(resource, ctx);
}

/**
 * `getFields(ctx)`, computed once per request (the body of the default `requestFields`). With the
 * default `getFields` and no `_fields`, it is the resource's default list itself (`meta.fields`, frozen),
 * not a copy: what is derived from it (projection, output keys) is then cached per class.
 */
export function fieldsOnce(resource: Resource, ctx: RequestContext): readonly string[] | Promise<readonly string[]> {
  const parsed = parsedFor(resource, ctx);
  if (parsed.fields) return parsed.fields;
  const fields = resource.getFields === Resource.prototype.getFields ? requestedFields(resource.meta, ctx) : resource.getFields(ctx);
  if (!Array.isArray(fields)) return Promise.resolve(fields).then((resolved) => (parsed.fields = resolved));
  parsed.fields = fields;
  return fields;
}

/**
 * The internal names `_fields` asks for (API names; `_all` adds the optional fields; unknown names are
 * ignored; an empty `_fields=` is absent): `meta.fields` itself when it names none.
 */
export function requestedFields(meta: ResourceMeta, ctx: RequestContext): readonly string[] {
  const requested = splitList(firstValue(ctx.query._fields));
  if (requested.length === 0) return meta.fields;
  if (requested.includes('_all')) return [...meta.fields, ...meta.optionalFields];
  const wanted = new Set<string>();
  for (const api of requested) {
    const internal = meta.byApiName.get(api);
    if (internal !== undefined) wanted.add(internal);
  }
  return [...meta.fields, ...meta.optionalFields].filter((field) => wanted.has(field));
}

/** The instance's parsed record for the request `ctx` (named by its number), fresh for a new request. */
export function parsedFor(resource: Resource, ctx: RequestContext): ParsedRequest {
  const request = requestState(ctx).number;
  const state = resource[stateKey];
  let parsed = state.parsed;
  if (parsed?.request !== request) {
    parsed = { request };
    state.parsed = parsed;
  }
  return parsed;
}
