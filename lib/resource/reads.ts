/**
 * How a resource reads: under the request's deadline (`runTimed`), and straight from the collection when
 * the Mongoose Query would only pass the command on (`readsDirectly`, query/direct-read.ts).
 */
import { isDatabaseUnavailable, withDeadline } from '../http/database.js';
import { directReadable, findOneDirect } from '../query/direct-read.js';
import { Resource, type GetObjectOptions } from '../resource.js';
import type { AnyDocument, PlainDocument, RequestContext } from '../types.js';
import { itemProjection } from './projections.js';
import { passThroughReadHooks, scopeKey } from './scope.js';

/** `getObject`'s read straight from the collection (`readsDirectly`). */
export function getObjectDirect(resource: Resource, pk: unknown, fields: readonly string[]): Promise<PlainDocument | null> {
  const projection = itemProjection(resource, fields);
  return runTimed(resource, (maxTimeMS) => findOneDirect(resource.document, pk, projection, maxTimeMS));
}

/** `getObject` through the resource's readable query: the Mongoose document for a write, lean for a read. */
export async function getObjectQueried(resource: Resource, ctx: RequestContext, pk: unknown, options: GetObjectOptions): Promise<PlainDocument | AnyDocument | null> {
  const query = await resource.readableQuery(ctx, { _id: pk });
  if (options.forWrite) return resource.run(query.findOne()) as Promise<AnyDocument | null>;
  const projection = itemProjection(resource, await resource.requestFields(ctx));
  if (projection) query.select(projection);
  return resource.run(query.findOne().lean()) as Promise<PlainDocument | null>;
}

/**
 * Starts a read with the time left as its `maxTimeMS` (`undefined`: no deadline) and waits for it under
 * the request's deadline: 503 instead of a hang when the database is not there.
 */
export function runTimed<T>(resource: Resource, start: (maxTimeMS: number | undefined) => PromiseLike<T>): Promise<T> {
  const deadline = resource.deadline;
  const remaining = deadline.remainingMS();
  if (remaining <= 0) return Promise.reject(deadline.unavailable());
  const mapError = (error: unknown) => (isDatabaseUnavailable(error) ? deadline.unavailable() : error);
  // At least 1: maxTimeMS(0) would mean "no limit".
  const maxTimeMS = Number.isFinite(remaining) ? Math.max(1, Math.floor(remaining)) : undefined;
  let operation: PromiseLike<T>;
  try {
    operation = start(maxTimeMS);
  } catch (error) {
    return Promise.reject(mapError(error));
  }
  // One promise per read: the deadline's, which rejects with the mapped error.
  return withDeadline(operation, remaining, mapError);
}

/**
 * Whether a lean read may skip the Mongoose Query (query/direct-read.ts): the resource keeps the
 * default `getQueryset`, `readableQuery`, `hasReadPermission` and `run`, the view's `hasReadPermission` narrows nothing, the view is not
 * nested, and the model's Query would send the plain command.
 */
export function readsDirectly(resource: Resource, op: 'find' | 'findOne'): boolean {
  const scope = resource[scopeKey];
  return (
    resource.getQueryset === Resource.prototype.getQueryset &&
    resource.readableQuery === Resource.prototype.readableQuery &&
    resource.hasReadPermission === Resource.prototype.hasReadPermission &&
    resource.run === Resource.prototype.run &&
    scope.parent === undefined &&
    passThroughReadHooks.has(scope.permissions.hasReadPermission) &&
    directReadable(resource.document, op)
  );
}
