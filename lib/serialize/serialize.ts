/**
 * One document → its API representation: the requested fields, renamed, `id` as a string, computed
 * fields from resource methods. Values are left as BSON/JS values (ObjectId, Date): their `toJSON`
 * turns them into id strings and ISO 8601 dates when Koa stringifies the body, without a second walk.
 */
import type { Resource } from '../resource.js';
import type { PlainDocument, RequestContext } from '../types.js';

type ComputedField = (doc: PlainDocument, ctx: RequestContext) => unknown;

export async function serializeFields(
  resource: Resource,
  doc: PlainDocument,
  ctx: RequestContext,
  fields: readonly string[],
  /** Output of relation fields already resolved in batch (serialize/related.ts), by internal name. */
  related?: ReadonlyMap<string, unknown>,
): Promise<PlainDocument> {
  const meta = resource.meta;
  const out: PlainDocument = {};
  for (const field of fields) {
    const key = meta.apiNames.get(field) ?? field;
    if (field === 'id') {
      out[key] = doc._id === undefined || doc._id === null ? null : String(doc._id);
    } else if (related?.has(field)) {
      out[key] = related.get(field);
    } else if (meta.computed.has(field)) {
      const method = (resource as unknown as Record<string, ComputedField>)[field]!;
      out[key] = (await method.call(resource, doc, ctx)) ?? null;
    } else {
      const value = doc[field];
      out[key] = value === undefined ? null : value;
    }
  }
  return out;
}
