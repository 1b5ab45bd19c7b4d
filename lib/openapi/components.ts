/**
 * `components.schemas` for resources: the output object (`Post`), the create and update bodies
 * (`PostCreate`, `PostUpdate`) and the list envelope (`PostList`), built from the resolved meta through
 * `fields`, `optionalFields` and `renameFields`. Related resources become `$ref`s to their own schemas
 * (output) and id-or-object inputs; polymorphic resources a `oneOf` with a `discriminator` mapping.
 * Schemas are made on demand, once per resource class and role, so recursive relations just refer.
 */
import type { ResourceClass } from '../resource.js';
import { UniqueNames, resourceBaseName } from './names.js';
import { fieldSchema, idSchema, isRequiredOnCreate, nullable, objectIdPattern, type SchemaMode } from './schemas.js';
import { resourceSource, type ResourceSource } from './source.js';
import type { JsonSchema } from './types.js';

type Role = 'output' | 'create' | 'update' | 'list' | 'baseOutput' | 'baseCreate' | 'baseUpdate';

const suffixes: Record<Role, string> = {
  output: '',
  create: 'Create',
  update: 'Update',
  list: 'List',
  baseOutput: 'Base',
  baseCreate: 'BaseCreate',
  baseUpdate: 'BaseUpdate',
};

export const refTo = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** The component schemas of one document, filled as operations ask for them. */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names: UniqueNames;
  private readonly baseNames = new Map<ResourceClass, string>();
  private readonly made = new Map<string, string>();

  constructor(names: UniqueNames) {
    this.names = names;
  }

  /** Adds a shared, fixed schema (error bodies, …) under `name`. */
  shared(name: string, schema: JsonSchema): JsonSchema {
    if (!(name in this.schemas)) this.schemas[this.names.claim(name)] = schema;
    return refTo(name);
  }

  /** What a response carries for one document of `source` (polymorphic: any of its types). */
  output(source: ResourceSource): JsonSchema {
    return this.component(source, 'output', () => (isPolymorphic(source) ? this.polymorphicOutput(source) : this.plainOutput(source)));
  }

  /** The body of a create (`POST`). */
  create(source: ResourceSource): JsonSchema {
    return this.component(source, 'create', () => (isPolymorphic(source) ? this.polymorphicCreate(source) : this.plainInput(source, 'create')));
  }

  /**
   * The body of a create through a nested view: the parent field `apiField` is set from the URL, so it
   * is optional (given, it must be the URL's parent). Polymorphic resources keep their create body.
   */
  createNested(source: ResourceSource, apiField: string): JsonSchema {
    const created = this.create(source);
    const name = String(created.$ref).slice('#/components/schemas/'.length);
    const { required, properties, ...rest } = this.schemas[name] ?? {};
    if (!Array.isArray(required) || !required.includes(apiField) || typeof properties !== 'object' || properties === null) return created;
    const key = `nestedCreate:${name}:${apiField}`;
    let nested = this.made.get(key);
    if (nested === undefined) {
      nested = this.names.claim(`${name}Nested`);
      this.made.set(key, nested);
      const stillRequired = (required as string[]).filter((field) => field !== apiField);
      const parentField = { ...(properties as Record<string, JsonSchema>)[apiField], description: 'Set from the URL: leave it out, or give the id of the parent in the URL (another one is refused with 400).' };
      this.schemas[nested] = { ...rest, properties: { ...properties, [apiField]: parentField }, ...(stillRequired.length > 0 ? { required: stillRequired } : {}) };
    }
    return refTo(nested);
  }

  /** The body of an update (`PUT` on an item): every key optional. */
  update(source: ResourceSource): JsonSchema {
    return this.component(source, 'update', () => (isPolymorphic(source) ? this.polymorphicUpdate(source) : this.plainInput(source, 'update')));
  }

  /** The body of a bulk update: the resource's own fields (documents of any type take them). */
  bulkUpdate(source: ResourceSource): JsonSchema {
    return isPolymorphic(source) ? this.component(source, 'baseUpdate', () => this.plainInput(source, 'update')) : this.update(source);
  }

  /** An RFC 6902 JSON Patch document. */
  jsonPatch(): JsonSchema {
    const path = { type: 'string', pattern: '^/', description: 'An RFC 6901 JSON Pointer (`~0` is `~`, `~1` is `/`; `-` appends to an array).' };
    return this.shared('JsonPatch', {
      type: 'array',
      items: {
        oneOf: [
          { type: 'object', properties: { op: { enum: ['add', 'replace', 'test'] }, path, value: {} }, required: ['op', 'path', 'value'] },
          { type: 'object', properties: { op: { const: 'remove' }, path }, required: ['op', 'path'] },
          { type: 'object', properties: { op: { enum: ['move', 'copy'] }, from: path, path }, required: ['op', 'from', 'path'] },
        ],
      },
    });
  }

  /** The list envelope of `GET <collection>`. */
  list(source: ResourceSource): JsonSchema {
    return this.component(source, 'list', () => {
      const properties: Record<string, JsonSchema> = {
        data: { type: 'array', items: this.output(source) },
      };
      const required = ['data'];
      if (source.paging.paginate) {
        properties.has_more = { type: 'boolean', description: 'Whether more documents follow this page.' };
        required.push('has_more');
        properties.next = { type: 'string', description: 'With `_after`: the cursor of the next page, while more follow.' };
      }
      properties.total = { type: 'integer', minimum: 0, description: 'Matching documents, ignoring `_skip`/`_limit` (with `_count`).' };
      return { type: 'object', properties, required };
    });
  }

  /** The name of the component of `role` for `source`, building it (once) with `build`. */
  private component(source: ResourceSource, role: Role, build: () => JsonSchema): JsonSchema {
    const key = `${role}:${this.baseName(source)}`;
    let name = this.made.get(key);
    if (name === undefined) {
      name = role === 'output' ? this.baseName(source) : this.names.claim(`${this.baseName(source)}${suffixes[role]}`);
      this.made.set(key, name);
      this.schemas[name] = {}; // reserved: a recursive relation refers to it while it is being built
      this.schemas[name] = build();
    }
    return refTo(name);
  }

  private baseName(source: ResourceSource): string {
    let name = this.baseNames.get(source.key);
    if (name === undefined) {
      name = this.names.claim(resourceBaseName(source.meta.name));
      this.baseNames.set(source.key, name);
    }
    return name;
  }

  // ---- output ---------------------------------------------------------------------------------------

  private plainOutput(source: ResourceSource): JsonSchema {
    const { meta } = source;
    const properties: Record<string, JsonSchema> = {};
    for (const field of [...meta.fields, ...meta.optionalFields]) {
      properties[apiName(source, field)] = this.outputField(source, field);
    }
    const typeKey = discriminatorApiKey(source);
    if (typeKey !== undefined && typeKey in properties) {
      properties[typeKey] = source.ownType !== undefined ? { const: source.ownType } : { type: 'null' };
    }
    const schema: JsonSchema = { type: 'object', properties };
    const optional = meta.optionalFields.map((field) => apiName(source, field));
    schema.description =
      'Keys are the default fields, or those named by `_fields`' + (optional.length > 0 ? ` (only on request: ${optional.join(', ')}).` : '.');
    return schema;
  }

  private outputField(source: ResourceSource, field: string): JsonSchema {
    const { meta } = source;
    const related = source.related.get(field);
    if (field === 'id' && !meta.computed.has('id') && !meta.schema.path('id')) {
      return { ...outputId(source), readOnly: true };
    }
    if (related) {
      const target = this.output(resourceSource(related));
      if (meta.computed.has(field)) return meta.computedSchemas.get(field) ?? { anyOf: [target, { type: 'array', items: target }, { type: 'null' }] };
      const type = meta.schema.path(field) as { instance?: string } | undefined;
      return nullable(type?.instance === 'Array' ? { type: 'array', items: target } : target);
    }
    if (meta.computed.has(field)) return meta.computedSchemas.get(field) ?? { description: 'Computed by the server.' };
    return fieldSchema(meta.schema, field, 'output') ?? {};
  }

  private polymorphicOutput(source: ResourceSource): JsonSchema {
    const table = source.children!;
    const typeKey = discriminatorApiKey(source)!;
    const typed: JsonSchema[] = [];
    const mapping: Record<string, string> = {};
    for (const entry of table.byValue.values()) {
      const ref = this.output(resourceSource(entry.resourceClass));
      mapping[entry.value] = ref.$ref as string;
      typed.push({ type: 'object', allOf: [ref], required: [typeKey] });
    }
    const base = this.component(source, 'baseOutput', () => this.plainOutput(source));
    const all = [...typed.map((branch) => (branch.allOf as JsonSchema[])[0]!), base];
    const outputsType = [...source.meta.fields, ...source.meta.optionalFields].includes(table.key);
    if (!outputsType) return { description: 'One of the document types.', anyOf: all };
    return {
      description: `One of the document types, told apart by \`${typeKey}\` (absent only when \`_fields\` leaves it out).`,
      oneOf: [...typed, { type: 'object', allOf: [base], required: [typeKey] }, { type: 'object', anyOf: all, not: { type: 'object', required: [typeKey] } }],
      discriminator: { propertyName: typeKey, mapping },
    };
  }

  // ---- input ----------------------------------------------------------------------------------------

  private plainInput(source: ResourceSource, mode: 'create' | 'update'): JsonSchema {
    const { meta } = source;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const typeKey = discriminatorKeyOf(source);
    for (const field of meta.writable) {
      const api = apiName(source, field);
      if (field === typeKey) {
        properties[api] =
          mode === 'update' ? { description: 'Ignored: a stored document keeps its type.' } : { description: 'The document type.' };
        continue;
      }
      properties[api] = this.inputField(source, field, mode);
      if (mode === 'create' && isRequiredOnCreate(meta.schema, field)) required.push(api);
    }
    const schema: JsonSchema = {
      type: 'object',
      properties,
      description:
        mode === 'create'
          ? 'Keys not listed (unknown, computed, `id`) are ignored.'
          : 'Only the keys sent change; an object value replaces the stored one. Keys not listed are ignored.',
    };
    if (required.length > 0) schema.required = required;
    return schema;
  }

  private inputField(source: ResourceSource, field: string, mode: 'create' | 'update'): JsonSchema {
    const { meta } = source;
    const related = source.related.get(field);
    const plain = fieldSchema(meta.schema, field, mode) ?? {};
    if (!related) return plain;
    const relatedSource = resourceSource(related);
    const type = meta.schema.path(field) as { instance?: string; $isMongooseDocumentArray?: boolean } | undefined;
    const many = type?.instance === 'Array';
    const embedded = type === undefined || type.instance === 'Embedded' || type.$isMongooseDocumentArray === true;
    const nullableUnlessRequired = (schema: JsonSchema) => (isRequiredOnCreate(meta.schema, field) || plain.type === 'array' ? schema : nullable(schema));
    let one: JsonSchema;
    if (embedded) {
      one = this.create(relatedSource);
    } else {
      const id = idSchema(relatedSource.meta.schema.path('_id'));
      const idKey = relatedSource.meta.apiNames.get('id') ?? 'id';
      // Other keys of the object are ignored (saveRelatedFields is what writes them).
      const withId = { type: 'object', properties: { [idKey]: id }, required: [idKey], additionalProperties: true };
      one = source.saveRelated.has(field)
        ? {
            description: 'An id (a reference), an object without id (created), or an object with id (that document updated).',
            anyOf: [id, this.create(relatedSource), { type: 'object', allOf: [this.update(relatedSource), withId] }],
          }
        : { description: 'An id, or an object carrying it (as output).', anyOf: [id, withId] };
    }
    return many ? nullableUnlessRequired({ type: 'array', items: one }) : nullableUnlessRequired(one);
  }

  private polymorphicCreate(source: ResourceSource): JsonSchema {
    const table = source.children!;
    const typeKey = discriminatorApiKey(source)!;
    const mapping: Record<string, string> = {};
    const branches: JsonSchema[] = [];
    const defaultChild = source.defaultChild === undefined ? undefined : table.byName.get(source.defaultChild);
    for (const entry of table.byValue.values()) {
      const ref = this.create(resourceSource(entry.resourceClass));
      mapping[entry.value] = ref.$ref as string;
      const branch: JsonSchema = { type: 'object', allOf: [ref], properties: { [typeKey]: { const: entry.value } } };
      if (entry !== defaultChild) branch.required = [typeKey];
      branches.push(branch);
    }
    if (!table.byValue.has(table.baseName)) {
      const base = this.component(source, 'baseCreate', () => this.plainInput(source, 'create'));
      mapping[table.baseName] = base.$ref as string;
      branches.push(
        defaultChild
          ? { type: 'object', allOf: [base], properties: { [typeKey]: { const: table.baseName } }, required: [typeKey] }
          : { type: 'object', allOf: [base], properties: { [typeKey]: { enum: [table.baseName, null] } } },
      );
    }
    const fallback = defaultChild ? defaultChild.value : table.baseName;
    return {
      description: `\`${typeKey}\` chooses the document type (without it: ${fallback}).`,
      oneOf: branches,
      discriminator: { propertyName: typeKey, mapping },
    };
  }

  private polymorphicUpdate(source: ResourceSource): JsonSchema {
    const table = source.children!;
    const branches = [...table.byValue.values()].map((entry) => this.update(resourceSource(entry.resourceClass)));
    branches.push(this.component(source, 'baseUpdate', () => this.plainInput(source, 'update')));
    return { description: 'The fields of the stored document’s type.', anyOf: branches };
  }
}

/** A resource serving a collection of several document types (the base of a discriminator table). */
function isPolymorphic(source: ResourceSource): boolean {
  return source.children !== undefined && source.ownType === undefined;
}

function apiName(source: ResourceSource, field: string): string {
  return source.meta.apiNames.get(field) ?? field;
}

function discriminatorKeyOf(source: ResourceSource): string | undefined {
  return source.children?.key;
}

function discriminatorApiKey(source: ResourceSource): string | undefined {
  const key = discriminatorKeyOf(source);
  return key === undefined ? undefined : apiName(source, key);
}

/** `id` in output: the `_id` as a string (`String(doc._id)`), ObjectIds as 24 hex digits. */
function outputId(source: ResourceSource): JsonSchema {
  const type = source.meta.schema.path('_id') as { instance?: string } | undefined;
  return type?.instance === 'ObjectId' ? { type: 'string', pattern: objectIdPattern } : { type: 'string' };
}

export type { SchemaMode };
