/**
 * One document → its API representation: the requested fields, renamed, `id` as a string, computed
 * fields from resource methods. A stored date or ObjectId is output as the string its `toJSON` gives
 * (json-value.ts says why); deeper values are left as they are, for `toJSON` when Koa stringifies the body.
 */
import type { Resource } from '../resource.js';
import { jsonValue } from './json-value.js';
import type { PlainDocument, RequestContext } from '../types.js';

type ComputedField = (doc: PlainDocument, ctx: RequestContext) => unknown;

export function serializeFields(
  resource: Resource,
  doc: PlainDocument,
  ctx: RequestContext,
  fields: readonly string[],
  /** Output of relation fields already resolved in batch (serialize/related.ts), by internal name. */
  related?: ReadonlyMap<string, unknown>,
): PlainDocument | Promise<PlainDocument> {
  const meta = resource.meta;
  // The default fields without relations (the common item): their API names are the class's, made once.
  if (fields === meta.fields && related === undefined && !meta.computesDefaults) {
    const keys = meta.fieldKeys;
    const out: PlainDocument = {};
    for (let index = 0; index < fields.length; index++) out[keys[index]!] = storedValue(doc, fields[index]!);
    return out;
  }
  // Without a computed field to wait for, the output is made at once (no promise per document).
  if (!fields.some((field) => meta.computed.has(field) && !related?.has(field))) {
    const out: PlainDocument = {};
    for (const field of fields) out[meta.apiNames.get(field) ?? field] = related?.has(field) ? related.get(field) : storedValue(doc, field);
    return out;
  }
  return serializeComputed(resource, doc, ctx, fields, related);
}

async function serializeComputed(
  resource: Resource,
  doc: PlainDocument,
  ctx: RequestContext,
  fields: readonly string[],
  related?: ReadonlyMap<string, unknown>,
): Promise<PlainDocument> {
  const meta = resource.meta;
  const out: PlainDocument = {};
  for (const field of fields) {
    const key = meta.apiNames.get(field) ?? field;
    if (related?.has(field)) {
      out[key] = related.get(field);
    } else if (meta.computed.has(field)) {
      const method = (resource as unknown as Record<string, ComputedField>)[field]!;
      out[key] = (await method.call(resource, doc, ctx)) ?? null;
    } else {
      out[key] = storedValue(doc, field);
    }
  }
  return out;
}

/** A stored field's output: `id` as the `_id` string, a missing value as `null`, a date or ObjectId as its JSON string, the rest as it is. */
export function storedValue(doc: PlainDocument, field: string): unknown {
  if (field === 'id') return doc._id === undefined || doc._id === null ? null : String(doc._id);
  const value = doc[field];
  return value === undefined ? null : jsonValue(value);
}

/**
 * A synchronous serializer for the common case — no computed fields, no related resources, no child
 * resources among what is requested — or `undefined` when the general path is needed. A list page then
 * costs one tight loop instead of a chain of promises per document.
 */
export function plainSerializer(resource: Resource, fields: readonly string[]): ((doc: PlainDocument) => PlainDocument) | undefined {
  const meta = resource.meta;
  if (Object.keys(resource.childDocumentResources).length > 0) return undefined;
  const related = resource.relatedResources;
  if (fields.some((field) => meta.computed.has(field) || (field !== 'id' && Object.hasOwn(related, field)))) return undefined;
  const keys = fields === meta.fields ? meta.fieldKeys : fields.map((field) => meta.apiNames.get(field) ?? field);
  return (doc) => {
    const out: PlainDocument = {};
    for (let index = 0; index < fields.length; index++) out[keys[index]!] = storedValue(doc, fields[index]!);
    return out;
  };
}
