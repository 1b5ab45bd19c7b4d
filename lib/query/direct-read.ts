/**
 * The direct read: a lean `findOne` or `find` by `_id`, or a page of the whole collection, sent to the
 * model's collection (driver-collection.ts: the driver's, or Mongoose's wrapper of it when that buffers,
 * prints or emits the command) instead of building and running a Mongoose Query — the Query's construction, casting and
 * middleware machinery cost about as much CPU as the rest of a fetch (issue 15). It is taken only when
 * the Query would send exactly this command and hand back the driver's document untouched, which this
 * module checks on every call; otherwise the caller takes the general path.
 *
 * What must hold (anything else — or a Mongoose whose internals look different — means "no"):
 *  - no query middleware for the operation, `findOne` or `find` (the model's own, a plugin's, a global plugin's), no tracing
 *    subscriber on Mongoose's `mongoose:query` channel, no transaction session from Mongoose's async
 *    local storage;
 *  - not a discriminator model (its queries add the discriminator key), no schema-level
 *    `read`/`readConcern`/`collation`/`lean`/`translateAliases`, no connection- or Mongoose-wide
 *    `maxTimeMS`/`allowDiskUse`/`sanitizeFilter`/`translateAliases`;
 *  - no path with a schema-level `select` (Mongoose adds it to, or removes it from, every projection);
 *  - an `_id` path whose query casting is its plain `cast` (no setters: `lowercase`, `trim`, `set`…,
 *    apart from the auto `_id`'s own, which leaves query values as they are).
 * test/read-fast-paths.test.ts compares both paths and shows each condition sends the read through Mongoose.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { Schema } from 'mongoose';
import { andThen, promiseOf } from '../maybe-promise.js';
import { hasQueryMiddleware } from '../model-hooks.js';
import { collectionFor } from './driver-collection.js';
import type { AnyModel, PlainDocument } from '../types.js';

/** Mongoose's query tracing channel: an APM tool listening must keep seeing every query. */
const queryTracing = tracingChannel('mongoose:query');

interface SchemaTypeShape {
  selected?: unknown;
  setters?: { name?: string }[];
  schema?: Schema;
}

/** Per schema: whether its paths allow the direct read (computed once: paths are fixed once a model is compiled). */
const plainSchemas = new WeakMap<Schema, boolean>();

/** No path, at any depth, with a schema-level `select`. */
function noSchemaLevelSelect(schema: Schema, seen = new Set<Schema>()): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  let plain = true;
  schema.eachPath((_path, type) => {
    const shape = type as unknown as SchemaTypeShape;
    if (shape.selected !== undefined) plain = false;
    else if (shape.schema && !noSchemaLevelSelect(shape.schema, seen)) plain = false;
  });
  return plain;
}

/** The `_id` path casts query values with `cast` alone (the auto ObjectId `_id`'s `resetId` leaves them as they are). */
function plainIdCasting(schema: Schema): boolean {
  const id = schema.path('_id') as unknown as SchemaTypeShape | undefined;
  if (!id) return false;
  const setters = id.setters;
  if (!Array.isArray(setters)) return false;
  return setters.every((setter) => setter.name === 'resetId');
}

function schemaAllows(schema: Schema): boolean {
  let allowed = plainSchemas.get(schema);
  if (allowed === undefined) {
    const options = schema.options as Record<string, unknown>;
    const userOptions = (schema as unknown as { _userProvidedOptions?: Record<string, unknown> })._userProvidedOptions ?? {};
    allowed =
      options.read == null &&
      options.readConcern == null &&
      options.collation == null &&
      !('lean' in options) &&
      userOptions.translateAliases == null &&
      noSchemaLevelSelect(schema) &&
      plainIdCasting(schema);
    plainSchemas.set(schema, allowed);
  }
  return allowed;
}

/** Whether any of `keys` is set (non-nullish) in `options`, as Mongoose reads them (asked on every read: no allocation). */
function anySet(options: unknown, keys: readonly string[]): boolean {
  if (options == null) return false;
  for (const key of keys) if ((options as Record<string, unknown>)[key] != null) return true;
  return false;
}

/** Connection- or Mongoose-wide options the Query applies to `op` (set: the Query must send it). */
const readOptionKeys = ['maxTimeMS', 'allowDiskUse', 'sanitizeFilter', 'translateAliases'];
const globalOptions = {
  find: readOptionKeys,
  findOne: readOptionKeys,
  // `runValidators` would have the Query validate the update.
  findOneAndUpdate: [...readOptionKeys, 'runValidators'],
};

/**
 * Whether a lean `find` or `findOne` (`op`) of `model` may skip the Mongoose Query (see the file's
 * comment); direct-update/write.ts asks it for `findOneAndUpdate` too (the same conditions, plus its own).
 */
export function directReadable(model: AnyModel, op: 'find' | 'findOne' | 'findOneAndUpdate'): boolean {
  const shape = model as unknown as {
    baseModelName?: unknown;
    db?: { options?: unknown; config?: unknown; base?: { options?: unknown; transactionAsyncLocalStorage?: { getStore(): unknown } } };
    collection?: { find?: unknown; findOne?: unknown; findOneAndUpdate?: unknown };
  };
  if (shape.baseModelName !== undefined) return false;
  if (typeof shape.collection?.[op] !== 'function') return false;
  const db = shape.db;
  const base = db?.base;
  if (!db || !base) return false;
  if (!schemaAllows(model.schema)) return false;
  if (hasQueryMiddleware(model, op)) return false;
  if (queryTracing.hasSubscribers !== false) return false;
  const keys = globalOptions[op];
  if (anySet(db.options, keys) || anySet(db.config, keys) || anySet(base.options, keys)) return false;
  const store = base.transactionAsyncLocalStorage?.getStore() as { session?: unknown } | undefined;
  if (store?.session != null) return false;
  return true;
}

/** The options Mongoose passes the driver for a lean read with this projection and `maxTimeMS`, in its order. */
function readOptions(projection: Record<string, 1> | undefined, maxTimeMS: number | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (maxTimeMS !== undefined) options.maxTimeMS = maxTimeMS;
  if (projection) options.projection = projection;
  return options;
}

/**
 * The document whose `_id` is `id` (already cast to the `_id` type), lean, as Mongoose's
 * `findOne({ _id: id }).select(projection).maxTimeMS(ms).lean()` gives it — only when `directReadable(model)`.
 */
export function findOneDirect(model: AnyModel, id: unknown, projection: Record<string, 1> | undefined, maxTimeMS: number | undefined): Promise<PlainDocument | null> {
  const filter: Record<string, unknown> = { _id: id };
  const collection = collectionFor(model, 'findOne') as { findOne(filter: object, options: object): Promise<PlainDocument | null> };
  return collection.findOne(filter, readOptions(projection, maxTimeMS));
}

/**
 * The documents whose `_id` matches `idCondition` (an id or `{ $in: ids }`, already cast to the `_id`
 * type), lean, as Mongoose's `find({ _id: idCondition }).select(projection).maxTimeMS(ms).lean()` gives
 * them — only when `directReadable(model, 'find')`.
 */
export function findByIdsDirect(model: AnyModel, idCondition: unknown, projection: Record<string, 1> | undefined, maxTimeMS: number | undefined): Promise<PlainDocument[]> {
  return findDirect(model, { _id: idCondition }, readOptions(projection, maxTimeMS));
}

/** What a page of the whole collection asks for (`find({})`). */
export interface PageRead {
  sort: Record<string, 1 | -1> | undefined;
  skip: number;
  limit: number;
  projection: Record<string, 1> | undefined;
}

/**
 * One page of the whole collection, lean, as Mongoose's
 * `find().sort(sort).maxTimeMS(ms).skip(skip).limit(limit).select(projection).lean()` gives it — only
 * when `directReadable(model, 'find')`.
 */
export function findPageDirect(model: AnyModel, page: PageRead, maxTimeMS: number | undefined): Promise<PlainDocument[]> {
  // The options Mongoose passes, in its order.
  const options: Record<string, unknown> = {};
  if (page.sort) options.sort = page.sort;
  if (maxTimeMS !== undefined) options.maxTimeMS = maxTimeMS;
  options.skip = page.skip;
  options.limit = page.limit;
  if (page.projection) options.projection = page.projection;
  return findDirect(model, {}, options);
}

function findDirect(model: AnyModel, filter: Record<string, unknown>, options: Record<string, unknown>): Promise<PlainDocument[]> {
  // Mongoose's collection gives the driver's cursor, or a promise of it while it buffers commands (not connected yet).
  const collection = collectionFor(model, 'find') as { find(filter: object, options: object): FindCursor | Promise<FindCursor> };
  const cursor = collection.find(filter, options);
  return promiseOf(() => andThen(cursor, (ready) => ready.toArray())) as Promise<PlainDocument[]>;
}

type FindCursor = { toArray(): Promise<unknown[]> };
