/**
 * Query and path parameters: the reserved `_skip`, `_limit` (with the resource's `maxLimit`), `_fields`
 * (enum of API names), `_order_by` (allowed orderings and their `-` forms), `_count`, and one parameter
 * per declared filter key and operator, typed from the schema path it filters (list operators take
 * comma-separated values).
 */
import { comparedType } from '../query/cast.js';
import type { FilterField } from '../query/filter-keys.js';
import * as ops from '../query/operators.js';
import { objectIdPattern } from './schemas.js';
import type { ParentSource, ResourceSource } from './source.js';
import type { JsonSchema, OpenApiParameter } from './types.js';

/** Operators that read the text as it is (their own `parseValue`). */
const textOperators = [ops.IExact, ops.Contains, ops.IContains, ops.Startswith, ops.IStartswith, ops.Endswith, ops.IEndswith];

const meanings: Record<string, string> = {
  '': 'equal to',
  ne: 'not equal to (also matches documents without the field)',
  lt: 'less than',
  lte: 'less than or equal to',
  gt: 'greater than',
  gte: 'greater than or equal to',
  in: 'equal to any of the comma-separated values (`\\,` is a literal comma)',
  nin: 'equal to none of the comma-separated values (`\\,` is a literal comma)',
  iexact: 'equal to the text, ignoring case',
  contains: 'contains the text',
  icontains: 'contains the text, ignoring case',
  startswith: 'starts with the text',
  istartswith: 'starts with the text, ignoring case',
  endswith: 'ends with the text',
  iendswith: 'ends with the text, ignoring case',
  exists: 'present (`true`) or absent (`false`)',
  size: 'an array with exactly this many elements',
};

/** A query value cast by the schema type of the filtered path. */
function castValueSchema(instance: string | undefined): JsonSchema {
  switch (instance) {
    case 'Number':
    case 'Double':
      return { type: 'number' };
    case 'Int32':
    case 'BigInt':
      return { type: 'integer' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: 'date-time', description: 'ISO 8601; a date alone (`2024-01-31`) and times without a zone are UTC.' };
    case 'ObjectId':
      return { type: 'string', pattern: objectIdPattern };
    case 'UUID':
      return { type: 'string', format: 'uuid' };
    default:
      return { type: 'string' };
  }
}

/** The schema of one value an operator accepts on a path. */
function operatorValueSchema(operator: ops.Operator, instance: string | undefined): JsonSchema {
  if (operator instanceof ops.Boolean || operator instanceof ops.Exists) return { type: 'boolean' };
  if (operator instanceof ops.Size) return { type: 'integer', minimum: 0 };
  if (textOperators.some((Text) => operator instanceof Text)) return { type: 'string' };
  // A custom parseValue reads the text its own way: all we know is that it is text.
  if (operator.parseValue !== ops.Operator.prototype.parseValue) return { type: 'string' };
  return castValueSchema(instance);
}

/** The parameters of one declared filter field: one per operator (its primary suffix), negations too. */
function filterParameters(source: ResourceSource, field: FilterField): OpenApiParameter[] {
  const type = comparedType(source.meta.schema, field.path);
  const seen = new Set<ops.Operator>();
  const parameters: OpenApiParameter[] = [];
  for (const operator of field.operators.values()) {
    if (seen.has(operator)) continue;
    seen.add(operator);
    const value = operatorValueSchema(operator, type?.instance);
    const { description: valueNote, ...valueSchema } = value;
    let schema: JsonSchema = valueSchema;
    if (operator.takesList) schema = { type: 'array', items: valueSchema };
    else if (valueSchema.type === 'string' && valueSchema.pattern === undefined && valueSchema.format === undefined) schema = { ...valueSchema, maxLength: operator.maxLength };
    const meaning = meanings[operator.op] ?? `custom operator \`${operator.op}\``;
    const base = `Filter: \`${field.name}\` ${meaning}.${valueNote ? ` ${String(valueNote)}` : ''}`;
    const suffixes = operator.op === '' ? [] : [operator.op];
    const make = (segments: string[], description: string): OpenApiParameter => ({
      name: [field.spelling, ...segments].join('__'),
      in: 'query',
      description,
      schema,
      ...(operator.takesList ? { style: 'form' as const, explode: false } : {}),
    });
    parameters.push(make(suffixes, base));
    if (operator.allowNegation) parameters.push(make(['not', ...suffixes], `Negated filter: \`${field.name}\` not ${meaning}.`));
  }
  return parameters;
}

/** One parameter per declared filter key and operator, in declaration order. */
export function filterParametersOf(source: ResourceSource): OpenApiParameter[] {
  return source.filters.flatMap((field) => filterParameters(source, field));
}

/** `_fields`: API names of every field the resource can output, and `_all`. */
export function fieldsParameter(source: ResourceSource): OpenApiParameter {
  const { meta } = source;
  const names = [...meta.fields, ...meta.optionalFields].map((field) => meta.apiNames.get(field) ?? field);
  const optional = meta.optionalFields.map((field) => meta.apiNames.get(field) ?? field);
  return {
    name: '_fields',
    in: 'query',
    description:
      'Output only these fields (comma-separated API names); `_all` adds the optional fields' +
      (optional.length > 0 ? ` (${optional.join(', ')})` : '') +
      '. Unknown names are ignored.',
    schema: { type: 'array', items: { type: 'string', enum: [...names, '_all'] } },
    style: 'form',
    explode: false,
  };
}

/** `_order_by`, when the resource allows any ordering. */
export function orderParameter(source: ResourceSource): OpenApiParameter | undefined {
  const names = [...source.meta.ordering.keys()];
  if (names.length === 0) return undefined;
  return {
    name: '_order_by',
    in: 'query',
    description: 'Order by these fields (comma-separated; `-` descends). Ties are broken by id.',
    schema: { type: 'array', items: { type: 'string', enum: names.flatMap((name) => [name, `-${name}`]) } },
    style: 'form',
    explode: false,
  };
}

/** `_skip` and `_limit`, when the resource paginates. */
export function pageParameters(source: ResourceSource): OpenApiParameter[] {
  const { paginate, defaultLimit, maxLimit } = source.paging;
  if (!paginate) return [];
  return [
    { name: '_skip', in: 'query', description: 'Documents to skip.', schema: { type: 'integer', minimum: 0, default: 0 } },
    {
      name: '_limit',
      in: 'query',
      description: `Page size (0: no documents; \`has_more\` tells whether any exist). At most ${maxLimit}.`,
      schema: { type: 'integer', minimum: 0, maximum: maxLimit, default: Math.min(defaultLimit, maxLimit) },
    },
  ];
}

/** `_after`, cursor pagination, when the resource paginates. */
export function cursorParameter(source: ResourceSource): OpenApiParameter[] {
  if (!source.paging.paginate) return [];
  return [
    {
      name: '_after',
      in: 'query',
      description: 'Cursor pagination: empty for the first page, then the `next` of the previous page (not with `_skip`).',
      schema: { type: 'string' },
    },
  ];
}

export const countParameter: OpenApiParameter = {
  name: '_count',
  in: 'query',
  description: 'Add `total`: the number of matching documents, ignoring `_skip`/`_limit` (`true` or `1`).',
  schema: { type: 'boolean' },
};

/** The parent's pk in the URLs of a nested view (`{postId}`), typed like the parent's `_id`. */
export function parentIdParameter(parent: ParentSource): OpenApiParameter {
  const { schema } = idParameter(parent.resource);
  return {
    name: parent.parameter,
    in: 'path',
    required: true,
    description: `The id of the ${parent.name} the documents belong to (an unknown one, or one the caller cannot read, answers 404).`,
    schema,
  };
}

/** The `{id}` of item URLs. */
export function idParameter(source: ResourceSource): OpenApiParameter {
  const type = source.meta.schema.path('_id') as { instance?: string } | undefined;
  return {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The document’s id (an id that cannot be one answers 404).',
    schema: type?.instance === 'ObjectId' ? { type: 'string', pattern: objectIdPattern } : { type: 'string' },
  };
}

/** `If-None-Match` on reads: the ETag of the copy the client holds (304 while it is current). */
export const ifNoneMatchParameter: OpenApiParameter = {
  name: 'If-None-Match',
  in: 'header',
  description: 'ETags of the copy you hold (or `*`): answered 304 without a body while it is current.',
  schema: { type: 'string' },
};

/** `If-Match` on writes of stored documents: required where the resource sets `requireIfMatch`. */
export function ifMatchParameter(required: boolean): OpenApiParameter {
  return {
    name: 'If-Match',
    in: 'header',
    description: 'The ETag read before the change (or `*`): answered 412 and nothing written when the document changed since.',
    ...(required ? { required: true } : {}),
    schema: { type: 'string' },
  };
}

/** `Idempotency-Key` on writes, where the MongoRest honours it. */
export const idempotencyKeyParameter: OpenApiParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  description:
    'A key of your choosing (1 to 255 characters) that makes retrying this write safe: a retry with the same key, method, URL and body gets the first answer again (`Idempotent-Replayed: true`) instead of writing twice.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};
