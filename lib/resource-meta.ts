/**
 * What a Resource class declares, resolved once per class (at registration) into lookup tables:
 * default and optional fields, renames in both directions, computed and writable fields, ordering.
 * Configuration mistakes throw here, at startup, never at request time.
 */
import { isModel } from './guards.js';
import type { Schema } from 'mongoose';
import type { AnyModel } from './types.js';
import type { Resource } from './resource.js';
import type { JsonSchema } from './openapi/types.js';
import { checkRelationConfig } from './serialize/relations-config.js';

export interface ResourceMeta {
  readonly name: string;
  readonly model: AnyModel;
  readonly schema: Schema;
  /**
   * Internal names output by default, in declaration order (frozen). A request without `_fields` is
   * served with this very array, which is what per-class caches of its projection and output keys look for.
   */
  readonly fields: readonly string[];
  /** The API name of each of `fields`, in the same order. */
  readonly fieldKeys: readonly string[];
  /** Whether a computed field is among `fields`. */
  readonly computesDefaults: boolean;
  /** Top-level schema paths except `_id`/`__v`: when a response wants all of them, no projection is needed. */
  readonly storedPaths: readonly string[];
  /** Internal names output only on request (`_fields=x` or `_fields=_all`). */
  readonly optionalFields: readonly string[];
  /** Fields that are methods of the resource: `method(doc, ctx)` gives the value. */
  readonly computed: ReadonlySet<string>;
  /** JSON Schemas the resource declares for computed fields (`computedSchemas`), by internal name. */
  readonly computedSchemas: ReadonlyMap<string, JsonSchema>;
  /** Internal names accepted in request bodies. */
  readonly writable: ReadonlySet<string>;
  /** API name → internal name, for every selectable field (renamed or not). */
  readonly byApiName: ReadonlyMap<string, string>;
  /** Internal name → API name, for every selectable field. */
  readonly apiNames: ReadonlyMap<string, string>;
  /** API names allowed in `_order_by` → internal names. */
  readonly ordering: ReadonlyMap<string, string>;
}

const metas = new WeakMap<object, ResourceMeta>();
const hiddenPaths = new Set(['_id', '__v']);

export function metaOf(resource: Resource): ResourceMeta {
  const key = resource.constructor;
  let meta = metas.get(key);
  if (!meta) {
    meta = resolveMeta(resource);
    metas.set(key, meta);
  }
  return meta;
}

/** Top-level schema paths in declaration order (nested objects by their first segment). */
export function topLevelPaths(schema: Schema): string[] {
  const seen = new Set<string>();
  for (const path of Object.keys(schema.paths)) seen.add(path.split('.')[0]!);
  return [...seen];
}

function resolveMeta(resource: Resource): ResourceMeta {
  const name = resource.constructor.name || 'Resource';
  const model: unknown = resource.document;
  if (!isModel(model)) throw new TypeError(`${name}.document must be a Mongoose model.`);
  const schema = model.schema;
  const schemaFields = topLevelPaths(schema).filter((path) => !hiddenPaths.has(path));
  // An optional field is output only on request, even when `fields` (declared or default) lists it too.
  const optionalFields = [...new Set(resource.optionalFields)];
  const fields = [...new Set(resource.fields ?? [...(schema.path('_id') ? ['id'] : []), ...schemaFields])].filter((field) => !optionalFields.includes(field));
  const known = [...fields, ...optionalFields];

  const isSchemaField = (field: string) => schema.pathType(field) !== 'adhocOrUndefined';
  const computed = new Set(
    known.filter(
      (field) =>
        field !== 'id' &&
        !isSchemaField(field) &&
        typeof (resource as unknown as Record<string, unknown>)[field] === 'function',
    ),
  );
  for (const field of known) {
    if (field !== 'id' && !computed.has(field) && !isSchemaField(field)) {
      throw new TypeError(`${name}: field ${JSON.stringify(field)} is neither a schema path nor a method.`);
    }
  }

  const apiNames = new Map<string, string>();
  const byApiName = new Map<string, string>();
  for (const [internal, api] of Object.entries(resource.renameFields)) {
    if (typeof api !== 'string' || api.length === 0) {
      throw new TypeError(`${name}.renameFields[${JSON.stringify(internal)}] must be a non-empty string.`);
    }
  }
  for (const field of new Set([...known, ...Object.keys(resource.renameFields)])) {
    const api = Object.hasOwn(resource.renameFields, field) ? resource.renameFields[field]! : field;
    const clash = byApiName.get(api);
    if (clash !== undefined) {
      throw new TypeError(
        `${name}.renameFields must be one-to-one: ${JSON.stringify(clash)} and ${JSON.stringify(field)} are both exposed as ${JSON.stringify(api)}.`,
      );
    }
    byApiName.set(api, field);
    apiNames.set(field, api);
  }

  const writable = new Set(
    known.filter((field) => field !== 'id' && !hiddenPaths.has(field) && !computed.has(field) && isSchemaField(field)),
  );

  const ordering = new Map<string, string>();
  for (const api of resource.allowedOrdering) {
    const internal = byApiName.get(api) ?? (isSchemaField(api) && !apiNames.has(api) ? api : undefined);
    if (internal === undefined) throw new TypeError(`${name}.allowedOrdering names an unknown field ${JSON.stringify(api)}.`);
    ordering.set(api, internal === 'id' ? '_id' : internal);
  }

  for (const [setting, value] of [
    ['defaultLimit', resource.defaultLimit],
    ['maxLimit', resource.maxLimit],
    ['bulkUpdateLimit', resource.bulkUpdateLimit],
    ['bulkDeleteLimit', resource.bulkDeleteLimit],
    ['bulkCreateLimit', resource.bulkCreateLimit],
    ['maxStreamDocuments', resource.maxStreamDocuments],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name}.${setting} must be a non-negative integer.`);
  }

  checkRelationConfig(resource, name, schema, known);
  if (resource.requireIfMatch && typeof schema.get('versionKey') !== 'string') {
    throw new TypeError(`${name}.requireIfMatch needs a version key on the schema (it has versionKey: false).`);
  }
  const computedSchemas = checkComputedSchemas(resource, name, computed);

  return {
    name,
    model,
    schema,
    fields: Object.freeze(fields),
    fieldKeys: Object.freeze(fields.map((field) => apiNames.get(field) ?? field)),
    computesDefaults: fields.some((field) => computed.has(field)),
    storedPaths: schemaFields,
    optionalFields,
    computed,
    computedSchemas,
    writable,
    byApiName,
    apiNames,
    ordering,
  };
}

/** `computedSchemas` may only describe computed fields, each with a schema object. */
function checkComputedSchemas(resource: Resource, name: string, computed: ReadonlySet<string>): ReadonlyMap<string, JsonSchema> {
  const declared: unknown = resource.computedSchemas ?? {};
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
    throw new TypeError(`${name}.computedSchemas must be an object: { computedField: JSON Schema }.`);
  }
  const schemas = new Map<string, JsonSchema>();
  for (const [field, schema] of Object.entries(declared)) {
    if (!computed.has(field)) throw new TypeError(`${name}.computedSchemas names ${JSON.stringify(field)}, which is not a computed field.`);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new TypeError(`${name}.computedSchemas[${JSON.stringify(field)}] must be a JSON Schema object.`);
    }
    schemas.set(field, schema as JsonSchema);
  }
  return schemas;
}
