/**
 * Mongoose schema paths → JSON Schema (draft 2020-12): types, `enum`, `minimum`/`maximum`,
 * `minLength`/`maxLength`, `pattern` from `match`, arrays, sub-documents and nested objects, ObjectIds as
 * 24-hex strings, dates as `date-time`. A value the server may hold as `null` (anything not required) is
 * typed nullable. Pure: reads the schema, never the database. Relations are not handled here (see
 * components.ts).
 */
import type { Schema, SchemaType } from 'mongoose';
import type { JsonSchema } from './types.js';

/** Input schemas (`create`, `update`) differ from the output in what they require and mark read-only. */
export type SchemaMode = 'output' | 'create' | 'update';

export const objectIdPattern = '^[0-9a-fA-F]{24}$';
export const objectIdSchema: JsonSchema = { type: 'string', pattern: objectIdPattern, description: 'An ObjectId: 24 hexadecimal digits.' };

/** Sub-documents nested deeper than this (recursive schemas) are described as any value. */
const MAX_DEPTH = 12;

interface SchemaTypeInternals {
  instance: string;
  options: Record<string, unknown>;
  isRequired?: boolean;
  defaultValue?: unknown;
  enumValues?: unknown[];
  schema?: Schema;
  embeddedSchemaType?: SchemaTypeInternals;
  /** Mongoose 8's name for the element type of an array. */
  $embeddedSchemaType?: SchemaTypeInternals;
  caster?: SchemaTypeInternals;
  $isMongooseDocumentArray?: boolean;
  $__schemaType?: SchemaTypeInternals;
}

const internals = (type: SchemaType): SchemaTypeInternals => type as unknown as SchemaTypeInternals;

/** An option that may be written `value` or `[value, message]`. */
function optionValue(options: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    const raw = options[name];
    if (raw === undefined || raw === null) continue;
    return Array.isArray(raw) ? raw[0] : raw;
  }
  return undefined;
}

/** Whether validation always requires the path (`required: true`; a function means "sometimes": no). */
export function isRequiredPath(type: SchemaType): boolean {
  const { isRequired, options } = internals(type);
  if (!isRequired) return false;
  const required = Array.isArray(options.required) ? options.required[0] : options.required;
  return required === true;
}

/** Whether Mongoose fills the path in on create when the body leaves it out. */
export function hasDefault(type: SchemaType): boolean {
  return internals(type).defaultValue !== undefined;
}

/** `schema` that also admits `null`. */
export function nullable(schema: JsonSchema): JsonSchema {
  if (Object.keys(schema).length === 0 || Object.keys(schema).every((key) => key === 'description')) return schema;
  const { type } = schema;
  if (typeof type === 'string' && schema.$ref === undefined) {
    const out: JsonSchema = { ...schema, type: [type, 'null'] };
    if (Array.isArray(schema.enum)) out.enum = [...(schema.enum as unknown[]), null];
    return out;
  }
  if (Array.isArray(type)) return type.includes('null') ? schema : { ...schema, type: [...(type as string[]), 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function stringSchema(options: Record<string, unknown>, enumValues: unknown[] | undefined): JsonSchema {
  const schema: JsonSchema = { type: 'string' };
  const values = (enumValues ?? []).filter((value) => typeof value === 'string');
  if (values.length > 0) schema.enum = values;
  const minLength = optionValue(options, 'minlength', 'minLength');
  const maxLength = optionValue(options, 'maxlength', 'maxLength');
  if (typeof minLength === 'number') schema.minLength = minLength;
  if (typeof maxLength === 'number') schema.maxLength = maxLength;
  const match = optionValue(options, 'match');
  // A flagged RegExp (`/x/i`) has no JSON Schema spelling: leaving it out is looser, never wrong.
  if (match instanceof RegExp && match.flags.replace(/[gy]/g, '') === '') schema.pattern = match.source;
  return schema;
}

function numberSchema(type: 'number' | 'integer', options: Record<string, unknown>): JsonSchema {
  const schema: JsonSchema = { type };
  const minimum = optionValue(options, 'min');
  const maximum = optionValue(options, 'max');
  if (typeof minimum === 'number') schema.minimum = minimum;
  if (typeof maximum === 'number') schema.maximum = maximum;
  const values = Array.isArray(options.enum) ? options.enum.filter((value) => typeof value === 'number') : [];
  if (values.length > 0) schema.enum = values;
  return schema;
}

/** The JSON Schema of one value of a schema type (not yet nullable). */
export function typeSchema(type: SchemaType, mode: SchemaMode, depth = 0): JsonSchema {
  const info = internals(type);
  const { options } = info;
  switch (info.instance) {
    case 'String':
      return stringSchema(options, info.enumValues);
    case 'Number':
    case 'Double':
      return numberSchema('number', options);
    case 'Int32':
      return { ...numberSchema('integer', options), format: 'int32' };
    case 'BigInt':
      return { type: 'integer', format: 'int64' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    case 'ObjectId':
      return { ...objectIdSchema };
    case 'UUID':
      return { type: 'string', format: 'uuid' };
    case 'Decimal128':
      // Output: the driver's JSON form; input: Mongoose casts a number or a decimal string.
      return mode === 'output'
        ? { type: 'object', properties: { $numberDecimal: { type: 'string' } }, required: ['$numberDecimal'] }
        : { type: ['string', 'number'] };
    case 'Buffer':
      return mode === 'output' ? {} : { type: 'string' };
    case 'Embedded':
      return info.schema ? objectSchema(info.schema, mode, depth + 1) : { type: 'object' };
    case 'Map': {
      const valueType = info.$__schemaType;
      const values = valueType ? valueSchema(valueType as unknown as SchemaType, mode, depth + 1) : {};
      return { type: 'object', additionalProperties: values };
    }
    case 'Array': {
      if (info.$isMongooseDocumentArray && info.schema) {
        return { type: 'array', items: objectSchema(info.schema, mode, depth + 1) };
      }
      // Elements are described without null: arrays of values hold values.
      const element = info.embeddedSchemaType ?? info.$embeddedSchemaType ?? info.caster;
      return { type: 'array', items: element && depth < MAX_DEPTH ? typeSchema(element as unknown as SchemaType, mode, depth + 1) : {} };
    }
    default:
      return {}; // Mixed and custom types: any JSON value
  }
}

/** A value of the type as stored: nullable unless validation requires it. */
function valueSchema(type: SchemaType, mode: SchemaMode, depth: number): JsonSchema {
  if (depth > MAX_DEPTH) return {};
  const schema = typeSchema(type, mode, depth);
  return isRequiredPath(type) ? schema : nullable(schema);
}

/** A sub-document or nested-object schema: its paths as properties (`__v` left out). */
export function objectSchema(schema: Schema, mode: SchemaMode, depth = 0): JsonSchema {
  if (depth > MAX_DEPTH) return { type: 'object' };
  return pathsObject(schema, '', mode, depth);
}

/**
 * The object made of the paths under `prefix` (`''` for the whole schema, `'content.'` for a nested
 * object): each first segment is a property; deeper segments nest.
 */
function pathsObject(schema: Schema, prefix: string, mode: SchemaMode, depth: number): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const seen = new Set<string>();
  for (const path of Object.keys(schema.paths)) {
    if (!path.startsWith(prefix)) continue;
    const head = path.slice(prefix.length).split('.')[0]!;
    if (head === '' || head === '__v' || head.startsWith('$') || seen.has(head)) continue;
    seen.add(head);
    const full = prefix + head;
    const type = schema.path(full);
    if (type) {
      if (head === '_id') {
        properties._id = mode === 'output' ? idSchema(type) : nullable(idSchema(type));
        continue;
      }
      properties[head] = valueSchema(type, mode, depth);
      if (mode === 'create' && isRequiredPath(type) && !hasDefault(type)) required.push(head);
    } else if (schema.pathType(full) === 'nested') {
      properties[head] = nullable(pathsObject(schema, `${full}.`, mode, depth + 1));
    }
  }
  const object: JsonSchema = { type: 'object', properties };
  if (required.length > 0) object.required = required;
  return object;
}

/** How an `_id` of this type is written in JSON (ObjectIds as their hex string). */
export function idSchema(type: SchemaType | undefined): JsonSchema {
  if (!type) return { type: 'string' };
  const instance = internals(type).instance;
  if (instance === 'ObjectId') return { ...objectIdSchema };
  if (instance === 'Number' || instance === 'Int32' || instance === 'Double') return { type: 'number' };
  if (instance === 'UUID') return { type: 'string', format: 'uuid' };
  return { type: 'string' };
}

/**
 * A top-level field of a resource (internal name): its schema type, or a nested object (`content: {
 * text: String }` without a sub-schema). `undefined` when the schema does not know it.
 */
export function fieldSchema(schema: Schema, field: string, mode: SchemaMode): JsonSchema | undefined {
  const type = schema.path(field);
  if (type) return valueSchema(type, mode, 0);
  if (schema.pathType(field) === 'nested') return nullable(pathsObject(schema, `${field}.`, mode, 1));
  return undefined;
}

/** Whether a create request must carry the field (required by validation and no default). */
export function isRequiredOnCreate(schema: Schema, field: string): boolean {
  const type = schema.path(field);
  return type !== undefined && isRequiredPath(type) && !hasDefault(type);
}
