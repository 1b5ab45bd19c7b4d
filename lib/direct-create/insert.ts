/**
 * POST without `save()`: the new document is built, validated and authorized as always (a Mongoose
 * document: defaults, casts, setters, validators, validate middleware and messages are Mongoose's), then
 * inserted with one `insertOne` of what `save()` would insert — for the resources where nothing can tell
 * that from `save()` (eligible.ts). `save()` of a new document costs about as much CPU as building it:
 * its option cloning, hook machinery, `toObject` clone, state resets and events.
 *
 * Equivalence, step by step (what `save()` does for a new document, Mongoose 8 and 9):
 *  - pre('save') middleware: none of the app's (eligible.ts); of Mongoose's own, only the timestamps run
 *    for a model without sub-documents and sharding — set here as `timestampsPreSave` sets them
 *    (`createdAt` unless set, `updatedAt` = `createdAt`, through `doc.$set`, with `currentTime` or
 *    `mongoose.now()`);
 *  - the inserted object: `save()` copies the document (`toObject`) and adds the version key (0); a
 *    document holding only scalars and arrays of scalars is copied key by key here (the same keys, order
 *    and BSON); any other document is left to `save()`, before anything was set on it;
 *  - the insert: the model's collection (query/driver-collection.ts: Mongoose's wrapper whenever it would
 *    buffer, print or emit the command, else the driver's), with the write options `save()` passes (session, the schema's write concern), under the request's write gate;
 *  - errors: a duplicate key goes through the schema's `_transformDuplicateKeyError` as in `save()`, then
 *    becomes the same 409 as `Resource.saveDocument` answers; everything else passes through unchanged;
 *  - after the insert: no post('save') middleware and no `save` listener or tracing subscriber (eligible.ts).
 *
 * What differs, and is not observable through the API: the Mongoose document handed to the permission
 * hooks is not marked as saved afterwards (the answer is built from the inserted object).
 */
import { isScalar, plainOf } from '../handlers/shared.js';
import { type Resource } from '../resource.js';
import { authorizeWrite } from '../resource/permissions.js';
import { writeOptions, type ClientSession } from '../deadline/write-gate.js';
import type { AnyDocument, PlainDocument, RequestContext } from '../types.js';
import { duplicateConflict, duplicateFields, isDuplicateKeyError } from '../write/duplicates.js';
import { flushRelatedWrites } from '../write/nested.js';
import { collectionFor } from '../query/driver-collection.js';
import { insertPlan, type InsertPlan, type TimestampPlan } from './eligible.js';

/**
 * The new document of a POST on `resource` (the create handler's `target`), stored, in the plain shape
 * its answer is built from: inserted directly where `insertPlan` allows, else through `createObject`.
 */
export async function createDocument(ctx: RequestContext, resource: Resource, data: PlainDocument): Promise<PlainDocument> {
  const plan = insertPlan(resource);
  if (!plan) return plainOf(await resource.createObject(ctx, data));
  // What `createObject` does (eligible.ts: it is not overridden), up to the save.
  const doc = new resource.document(data) as AnyDocument;
  await resource.validateDocument(doc);
  // A promise only when a permission hook answered with one.
  const authorized = authorizeWrite(resource, 'hasAddPermission', ctx, doc);
  if (authorized) await authorized;
  const inserted = await insertDirect(resource, plan, doc);
  if (inserted) return inserted;
  await resource.saveDocument(doc);
  return plainOf(doc);
}

/** Inserts `doc` as `save()` would and returns the object inserted, or `undefined` (nothing done) when `save()` must. */
async function insertDirect(resource: Resource, plan: InsertPlan, doc: AnyDocument): Promise<PlainDocument | undefined> {
  const stored = (doc as unknown as { _doc?: Record<string, unknown> })._doc;
  if (!stored || Object.getPrototypeOf(stored) !== Object.prototype || !isFlat(stored)) return undefined;
  if (plan.timestamps) setTimestamps(resource, plan.timestamps, doc);
  const inserted = flatCopy(stored);
  // `save()` adds the version key to the inserted object (after the copy: last, unless already there).
  if (plan.versionKey !== undefined) inserted[plan.versionKey] = 0;
  // Nested documents of saveRelatedFields go first, as in `Resource.saveDocument`.
  await flushRelatedWrites(resource);
  const model = resource.document;
  const collection = collectionFor(model, 'insertOne') as { insertOne(doc: object, options: object): Promise<unknown> };
  try {
    await resource.runWrite((session) => collection.insertOne(inserted, saveOptions(resource, session)));
  } catch (raw) {
    const transform = (model.schema as unknown as { _transformDuplicateKeyError?: (error: unknown) => unknown })._transformDuplicateKeyError;
    const error = typeof transform === 'function' ? transform.call(model.schema, raw) : raw;
    if (!isDuplicateKeyError(error)) throw error;
    throw duplicateConflict(resource.meta, await duplicateFields(error, resource.meta, doc, (operation) => resource.run(operation)));
  }
  return inserted;
}

/**
 * The items of an array as stored: a Mongoose array's own array (`__array`, read without the proxy's
 * traps), a plain array itself; `undefined` for a Mongoose array whose raw items cannot be reached.
 */
function storedItems(value: unknown[]): unknown[] | undefined {
  const raw = (value as { __array?: unknown }).__array;
  if (Array.isArray(raw)) return raw;
  return (value as { isMongooseArray?: unknown }).isMongooseArray ? undefined : value;
}

/** Every value is a scalar or an array of scalars (nothing `toObject` would transform, nothing undefined). */
function isFlat(stored: Record<string, unknown>): boolean {
  for (const key of Object.keys(stored)) {
    const value = stored[key];
    if (value === undefined) return false;
    if (Array.isArray(value)) {
      const items = storedItems(value);
      if (!items || !items.every((item) => item !== undefined && isScalar(item))) return false;
    } else if (!isScalar(value)) return false;
  }
  return true;
}

/** A copy of a flat document (`isFlat`): arrays as plain arrays of the same items. */
function flatCopy(stored: Record<string, unknown>): PlainDocument {
  const copy: PlainDocument = {};
  for (const key of Object.keys(stored)) {
    const value = stored[key];
    copy[key] = Array.isArray(value) ? storedItems(value)!.slice() : value;
  }
  return copy;
}

/** Mongoose's `timestampsPreSave` for a new document (setDocumentTimestamps.js). */
function setTimestamps(resource: Resource, { createdAt, updatedAt, currentTime }: TimestampPlan, doc: AnyDocument): void {
  const now = currentTime ? currentTime() : (resource.document.base as unknown as { now(): unknown }).now();
  const raw = (path: string): unknown => doc.get(path, null, { getters: false });
  if (createdAt !== undefined && !raw(createdAt)) doc.$set(createdAt, now, undefined, { overwriteImmutable: true } as never);
  if (updatedAt !== undefined) doc.$set(updatedAt, createdAt !== undefined ? raw(createdAt) : now);
}

/** The options `save()` gives `insertOne` (model.js `_createSaveOptions`): the schema's write concern, the session. */
function saveOptions(resource: Resource, session: ClientSession | undefined): Record<string, unknown> {
  const { writeConcern } = writeOptions(resource.document, session);
  const options: Record<string, unknown> = {};
  if (writeConcern) {
    const picked: Record<string, unknown> = {};
    for (const key of ['w', 'j', 'wtimeout'] as const) if (key in writeConcern) picked[key] = writeConcern[key];
    options.writeConcern = picked;
  }
  if (session) options.session = session;
  return options;
}
