/**
 * The write of a direct update — `findOneAndUpdate({ _id }, { $set: values, $inc: { version: 1 } })`,
 * lean, answering the document as it is after — sent straight to the model's collection
 * (query/driver-collection.ts) when Mongoose's
 * Query would send exactly that plus `updatedAt`, which is then set here as Mongoose's timestamps
 * middleware sets it (`mongoose.now()`, or the schema's `timestamps.currentTime`). Building, casting
 * (the values are cast already) and running the Query was the largest share of a direct PUT's own CPU
 * (issue 15).
 *
 * What must hold, beyond the direct update's own conditions (eligible.ts: no `findOneAndUpdate`
 * middleware of the app):
 *  - what a direct read needs of the model (query/direct-read.ts `directReadable`): no query middleware
 *    for the operation, no tracing subscriber, no transaction from Mongoose's async local storage, no
 *    schema-level `read`/`readConcern`/`collation`/`lean`/`select`/`translateAliases`, no connection- or
 *    Mongoose-wide `maxTimeMS`/`allowDiskUse`/`sanitizeFilter`/`translateAliases` — and, for an update,
 *    `runValidators` (the Query would validate it);
 *  - timestamps, if any, at top-level paths. (No value is ever sent for a timestamp or an immutable path,
 *    which the Query would overwrite or drop: eligible.ts keeps them out of the paths a direct update writes.)
 * Otherwise the Query sends it. test/direct-update.test.ts records what reaches the collection from
 * both and compares it.
 */
import { timestampPlan, type TimestampPlan } from '../direct-create/eligible.js';
import type { WriteOptions } from '../deadline/write-gate.js';
import { directReadable } from '../query/direct-read.js';
import { collectionFor } from '../query/driver-collection.js';
import type { AnyModel, PlainDocument } from '../types.js';

interface SchemaShape {
  options: { timestamps?: unknown };
  $timestamps?: { createdAt?: unknown; updatedAt?: unknown };
}

/**
 * `findOneAndUpdate` of the document `id`: `$set` of `values` (cast), `$inc` of the version key, the
 * document after the write, lean — through the collection where the Query would add nothing but
 * `updatedAt` (see the file's comment), else through the Query.
 */
export function updateById(model: AnyModel, id: unknown, values: PlainDocument, versionKey: string | undefined, options: WriteOptions): Promise<unknown> {
  const timestamps = directWritable(model);
  if (timestamps === null) {
    const update = { $set: values, ...(versionKey === undefined ? {} : { $inc: { [versionKey]: 1 } }) };
    return model.findOneAndUpdate({ _id: id }, update, { ...options, returnDocument: 'after' }).lean().exec();
  }
  const $set: PlainDocument = { ...values };
  if (timestamps?.updatedAt !== undefined) $set[timestamps.updatedAt] = timestamps.currentTime ? timestamps.currentTime() : (model.base as unknown as { now(): unknown }).now();
  const update: Record<string, unknown> = {};
  // An empty `$set` is left out, as the Query leaves it out.
  if (Object.keys($set).length > 0) update.$set = $set;
  if (versionKey !== undefined) update.$inc = { [versionKey]: 1 };
  const collection = collectionFor(model, 'findOneAndUpdate') as { findOneAndUpdate(filter: object, update: object, options: object): Promise<unknown> };
  // `returnOriginal` as well: Mongoose still spells it out for drivers older than `returnDocument`.
  return collection.findOneAndUpdate({ _id: id }, update, { ...options, returnDocument: 'after', returnOriginal: false });
}

/** The timestamps to set (`undefined`: none) when the update may skip the Query, `null` when it may not. */
function directWritable(model: AnyModel): TimestampPlan | undefined | null {
  if (!directReadable(model, 'findOneAndUpdate')) return null;
  const schema = model.schema as unknown as SchemaShape;
  return timestampPlan(schema.options.timestamps, schema.$timestamps);
}
