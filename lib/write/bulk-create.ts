/**
 * Bulk create (`POST /posts/` with a JSON array): every item is prepared, validated and authorized
 * before the first insert, with errors keyed by the item's index; unique values that collide inside the
 * batch or with stored documents are a 409 before anything is written; then the items are inserted in
 * the order given.
 */
import { BadRequest, Conflict, HttpError } from '../errors.js';
import { isPlainObject, isValidationError } from '../guards.js';
import { apiPath, fieldErrorsOf } from '../http/field-errors.js';
import { type Resource, type ResourceClass } from '../resource.js';
import { authorizeWrite } from '../resource/permissions.js';
import type { ResourceMeta } from '../resource-meta.js';
import { spawnChild } from '../serialize/instances.js';
import type { AnyDocument, RequestContext } from '../types.js';
import { duplicateConflict } from './duplicates.js';
import { prepareCreate } from './prepare.js';

export const NOT_A_LIST = 'JSON data must be a list of objects.';

/** One item of the batch, ready to insert: the resource that saves it and the built document. */
export interface BuiltItem {
  target: Resource;
  doc: AnyDocument;
}

type FieldErrors = Record<string, unknown>;

/**
 * Builds, validates and authorizes every item of `items` (each through its own resource instance, so the
 * nested writes staged for one item never mix with another's). Throws 400 with `field-errors` keyed by
 * index, then 403 when `hasAddPermission` refuses any, then 409 on unique values seen up front.
 */
export async function buildBatch(ctx: RequestContext, resource: Resource, items: unknown[]): Promise<BuiltItem[]> {
  const limit = resource.bulkCreateLimit;
  if (items.length > limit) throw new BadRequest(`It's not allowed to create more than ${limit} objects at once`);
  const stray = items.findIndex((item) => !isPlainObject(item));
  if (stray !== -1) throw new BadRequest(`Item ${stray} must be an object.`);

  const errors: Record<string, FieldErrors> = {};
  const built: BuiltItem[] = [];
  for (const [index, item] of items.entries()) {
    try {
      const own = spawnChild(resource, resource.constructor as ResourceClass);
      const { target, data } = await prepareCreate(ctx, own, item as Record<string, unknown>);
      await target.validateRequest(ctx, data);
      const doc = new target.document(data) as AnyDocument;
      await target.validateDocument(doc);
      built.push({ target, doc });
    } catch (error) {
      errors[String(index)] = fieldErrorsFrom(error, resource.meta);
    }
  }
  if (Object.keys(errors).length > 0) throw new BadRequest({ 'field-errors': errors });

  // The resource's hasAddPermission, then the view's, as for a single create.
  for (const { target, doc } of built) await authorizeWrite(target, 'hasAddPermission', ctx, doc);
  await assertUniqueValues(resource, built);
  return built;
}

/** The `field-errors` of one item's failure (a 400 or a Mongoose validation error); anything else is rethrown. */
function fieldErrorsFrom(error: unknown, meta: ResourceMeta): FieldErrors {
  if (isValidationError(error)) return fieldErrorsOf(error, meta);
  if (error instanceof HttpError && error.status === 400) {
    const fieldErrors = error.body['field-errors'];
    return isPlainObject(fieldErrors) ? fieldErrors : error.body;
  }
  throw error;
}

interface UniqueIndex {
  paths: string[];
  sparse: boolean;
}

function uniqueIndexes(meta: ResourceMeta): UniqueIndex[] {
  return meta.schema
    .indexes()
    .filter(([, options]) => (options as { unique?: boolean }).unique === true && (options as { partialFilterExpression?: unknown }).partialFilterExpression === undefined)
    .map(([keys, options]) => ({ paths: Object.keys(keys), sparse: (options as { sparse?: boolean }).sparse === true }));
}

/**
 * 409 when two items share the values of a unique index, or an item has the values a stored document
 * has (one query per unique index). Partial indexes are left to the server.
 */
async function assertUniqueValues(resource: Resource, built: BuiltItem[]): Promise<void> {
  const meta = resource.meta;
  const clashes = new Map<number, string[]>();
  for (const { paths, sparse } of uniqueIndexes(meta)) {
    const keyed = built
      .map(({ doc }, index) => ({ index, values: paths.map((path) => doc.get(path) as unknown) }))
      .filter(({ values }) => !(sparse && values.every((value) => value === undefined || value === null)));
    const seen = new Map<string, number>();
    for (const { index, values } of keyed) {
      const key = JSON.stringify(values.map((value) => (value == null ? null : String(value))));
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else clashes.set(index, paths);
    }
    if (keyed.length === 0) continue;
    const conditions = keyed.map(({ values }) => Object.fromEntries(paths.map((path, at) => [path, values[at] ?? null])));
    const stored = (await resource.run(meta.model.find({ $or: conditions }).select(Object.fromEntries(paths.map((path) => [path, 1]))).lean())) as Record<string, unknown>[];
    if (stored.length === 0) continue;
    const taken = new Set(stored.map((row) => JSON.stringify(paths.map((path) => valueAt(row, path)).map((value) => (value == null ? null : String(value))))));
    for (const { index, values } of keyed) {
      if (taken.has(JSON.stringify(values.map((value) => (value == null ? null : String(value)))))) clashes.set(index, paths);
    }
  }
  if (clashes.size === 0) return;
  const fieldErrors: Record<string, Record<string, string>> = {};
  for (const [index, paths] of [...clashes].sort(([a], [b]) => a - b)) {
    fieldErrors[String(index)] = Object.fromEntries(paths.map((path) => [apiPath(meta, path), 'already exists']));
  }
  throw new Conflict({ error: duplicateConflict(meta, []).body.error, 'field-errors': fieldErrors });
}

function valueAt(row: Record<string, unknown>, path: string): unknown {
  let current: unknown = row;
  for (const key of path.split('.')) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}
