/**
 * PUT without Mongoose documents: the stored document is read lean, the written values are cast and
 * validated on their own, and the change is one `findOneAndUpdate` by `_id` — for the resources and
 * paths where that cannot be told apart from loading a Mongoose document, changing, validating and
 * saving it (eligible.ts). Two round trips, like the load-and-save path, without hydrating, validating
 * and diffing the whole document (most of a PUT's CPU), and with filters any server answers from its
 * `_id` index.
 *
 * Equivalence, step by step: the body is prepared as for any PUT (renames, writable fields, references
 * checked, parent of a nested view); the values are cast and validated by a Mongoose document of the
 * model, as `doc.set` and `doc.validate` would (only value validators are allowed: eligible.ts); the
 * document is read through the same query the load would use (getQueryset, both `hasReadPermission`s,
 * the parent's narrowing: null → 404; from the collection when that query is the plain command); when
 * every value equals the stored one nothing is written and the version is kept, as `save()` does;
 * otherwise the update `$set`s the values and `$inc`s the version by `_id` alone, as `save()` with
 * `bumpVersion` does, with `updatedAt` for a schema with timestamps, as `save()` sets it (write.ts:
 * straight to the collection where the Query would add nothing else). A body with a 4xx, a path the
 * direct update does not write, or a duplicate key goes to the load-and-save path with nothing written,
 * and that path answers as always.
 */
import { HttpError, NotFound } from '../errors.js';
import { plainOf } from '../handlers/shared.js';
import { castPk } from '../query/pk.js';
import { findOneDirect } from '../query/direct-read.js';
import { type Resource } from '../resource.js';
import { readsDirectly, runTimed } from '../resource/reads.js';
import type { AnyDocument, PlainDocument, RequestContext } from '../types.js';
import { writeOptions } from '../deadline/write-gate.js';
import { versionKeyOf } from '../versioning/version.js';
import { isDuplicateKeyError } from '../write/duplicates.js';
import { assertFiniteNumbers } from '../write/finite.js';
import { prepareUpdate } from '../write/prepare.js';
import { directPaths } from './eligible.js';
import { sameStoredValue } from './equal.js';
import { updateById } from './write.js';

/**
 * The document as the PUT leaves it (lean, as stored), or `undefined` when the load-and-save path must
 * answer — nothing was written then.
 */
export async function directUpdate(ctx: RequestContext, resource: Resource, input: Record<string, unknown>, rawPk: string): Promise<PlainDocument | undefined> {
  const allowed = directPaths(resource);
  if (!allowed) return undefined;
  const values = await castValues(ctx, resource, input, allowed);
  if (!values) return undefined;
  const stored = await readStored(ctx, resource, castPk(resource.meta, rawPk));
  if (stored === undefined) return undefined;
  if (!stored) throw new NotFound();
  // Nothing changes: nothing is written, the version (the ETag) stays.
  if (Object.entries(values).every(([path, value]) => sameStoredValue(stored[path], value))) return stored;
  const model = resource.document;
  const versionKey = versionKeyOf(model);
  let updated: unknown;
  try {
    // By `_id` alone, as `save()` writes: the read above applied the reader's filters.
    updated = await resource.runWrite((session) => updateById(model, stored._id, values, versionKey, writeOptions(model, session)));
  } catch (error) {
    // The server refused the write (nothing written): the load-and-save path answers the 409 naming the fields.
    if (isDuplicateKeyError(error)) return undefined;
    throw error;
  }
  // Deleted since it was read: what `save()` answers then.
  if (!updated) throw new NotFound();
  return updated as PlainDocument;
}

/**
 * The stored document, lean, through the query the load would use — straight from the collection when
 * that query would only pass the command through (query/direct-read.ts) — or `undefined` when the
 * reader's query shapes the result (the load-and-save path answers then).
 */
async function readStored(ctx: RequestContext, resource: Resource, pk: unknown): Promise<PlainDocument | null | undefined> {
  if (readsDirectly(resource, 'findOne')) return runTimed(resource, (maxTimeMS) => findOneDirect(resource.document, pk, undefined, maxTimeMS));
  const query = await resource.readableQuery(ctx, { _id: pk });
  // A getQueryset or hasReadPermission that shapes the result (projection, populate, lean) keeps the load.
  const shaping = query.mongooseOptions() as { populate?: unknown; lean?: unknown };
  if (shaping.populate !== undefined || shaping.lean !== undefined || !isEmpty(query.projection())) return undefined;
  return (await resource.run(query.findOne().lean())) as PlainDocument | null;
}

/**
 * The body's values as the model stores them (`$set` of a direct update), or `undefined` when the body
 * writes a path the direct update does not, or would be answered with a 4xx.
 */
async function castValues(ctx: RequestContext, resource: Resource, input: Record<string, unknown>, allowed: ReadonlySet<string>): Promise<PlainDocument | undefined> {
  let data: PlainDocument;
  try {
    const prepared = prepareUpdate(ctx, resource, input);
    ({ data } = prepared instanceof Promise ? await prepared : prepared);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500) return undefined;
    throw error;
  }
  const paths = Object.keys(data);
  if (!paths.every((path) => allowed.has(path))) return undefined;
  if (paths.length === 0) return {};
  // Cast and validated as `doc.set` + `doc.validate` would (only paths written: the stored ones were
  // valid when written), without the defaults of a new document.
  const Model = resource.document as unknown as new (data: object, fields: undefined, options: { defaults: boolean }) => AnyDocument;
  const probe = new Model({}, undefined, { defaults: false });
  for (const path of paths) probe.set(path, data[path]);
  try {
    await probe.validate(paths);
    assertFiniteNumbers(probe, resource.meta);
  } catch {
    return undefined;
  }
  if (!paths.every((path) => probe.$isValid(path))) return undefined;
  const cast = plainOf(probe);
  const values: PlainDocument = {};
  for (const path of paths) values[path] = cast[path] ?? null;
  return values;
}

function isEmpty(projection: unknown): boolean {
  return projection === undefined || projection === null || (typeof projection === 'object' && Object.keys(projection).length === 0);
}
