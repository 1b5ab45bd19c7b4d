/**
 * Polymorphic collections: one Mongoose model with discriminators (`Vehicle` with `Car` and `Truck`),
 * each document type served by its own resource from `childDocumentResources` (keyed by discriminator
 * name). This module answers, for a resource and a document, which resource serializes it, which model a
 * create builds, and what the read projection must keep so each type finds its fields.
 */
import { BadRequest } from '../errors.js';
import { resourceClass as asResourceClass, type Resource, type ResourceClass } from '../resource.js';
import { metaOf } from '../resource-meta.js';
import type { AnyModel, PlainDocument } from '../types.js';
import { spawnChild } from './instances.js';

/** One discriminator served by a child resource. */
export interface ChildEntry {
  /** Discriminator (model) name, the key of `childDocumentResources`. */
  readonly name: string;
  /** What the discriminator key stores for this type (the name unless the discriminator set `value`). */
  readonly value: string;
  readonly resourceClass: ResourceClass;
}

/** A resource's discriminators, resolved once per resource class. */
export interface ChildTable {
  /** The discriminator key (internal path): Mongoose's `discriminatorKey`, `__t` by default. */
  readonly key: string;
  /** Child entries by stored discriminator value. */
  readonly byValue: ReadonlyMap<string, ChildEntry>;
  /** Child entries by discriminator name. */
  readonly byName: ReadonlyMap<string, ChildEntry>;
  /** Values that mean "the base type" on create: the base model's name. */
  readonly baseName: string;
}

interface DiscriminatorMapping {
  key?: string;
  value?: unknown;
  isRoot?: boolean;
}

const tables = new WeakMap<object, ChildTable | null>();
const projections = new WeakMap<object, Record<string, 1> | null>();
const children = new WeakMap<Resource, Map<string, Resource>>();

/** The discriminator key of a model's schema, when the model has or is a discriminator. */
export function discriminatorKeyOf(model: AnyModel): string | undefined {
  const mapping = (model.schema as unknown as { discriminatorMapping?: DiscriminatorMapping }).discriminatorMapping;
  if (!mapping) return undefined;
  return mapping.key ?? (model.schema.get('discriminatorKey') as string | undefined) ?? '__t';
}

/** The model holding the discriminators of `model` (itself, or its base when it is a discriminator). */
function rootModel(model: AnyModel): AnyModel {
  const baseName = (model as unknown as { baseModelName?: string }).baseModelName;
  return (baseName ? model.db.models[baseName] : undefined) ?? model;
}

/**
 * The discriminator table of `resource`, or `undefined` when it declares no child resources. Throws a
 * `TypeError` when `childDocumentResources` or `defaultChildResourceDocument` name no discriminator of
 * the model (called at registration, through the resource's meta).
 */
export function childTableOf(resource: Resource): ChildTable | undefined {
  const cacheKey = resource.constructor;
  let table = tables.get(cacheKey);
  if (table === undefined) {
    table = buildTable(resource);
    tables.set(cacheKey, table);
  }
  return table ?? undefined;
}

function buildTable(resource: Resource): ChildTable | null {
  const name = resource.constructor.name || 'Resource';
  const declared = Object.entries(resource.childDocumentResources ?? {});
  if (declared.length === 0) {
    if (resource.defaultChildResourceDocument !== undefined) {
      throw new TypeError(`${name}.defaultChildResourceDocument needs childDocumentResources.`);
    }
    return null;
  }
  const root = rootModel(resource.document);
  const key = discriminatorKeyOf(root);
  const discriminators = root.discriminators ?? {};
  const byValue = new Map<string, ChildEntry>();
  const byName = new Map<string, ChildEntry>();
  for (const [discriminator, resourceClass] of declared) {
    const model = Object.hasOwn(discriminators, discriminator) ? discriminators[discriminator] : undefined;
    if (!key || !model) {
      throw new TypeError(`${name}.childDocumentResources: ${JSON.stringify(discriminator)} is not a discriminator of model ${root.modelName}.`);
    }
    if (typeof resourceClass !== 'function') {
      throw new TypeError(`${name}.childDocumentResources[${JSON.stringify(discriminator)}] must be a Resource class.`);
    }
    const mapping = (model.schema as unknown as { discriminatorMapping?: DiscriminatorMapping }).discriminatorMapping;
    const value = typeof mapping?.value === 'string' ? mapping.value : discriminator;
    const entry: ChildEntry = { name: discriminator, value, resourceClass: asResourceClass(resourceClass) };
    byValue.set(value, entry);
    byName.set(discriminator, entry);
  }
  const fallback = resource.defaultChildResourceDocument;
  if (fallback !== undefined && !byName.has(fallback)) {
    throw new TypeError(`${name}.defaultChildResourceDocument ${JSON.stringify(fallback)} is not a key of childDocumentResources.`);
  }
  return { key: key!, byValue, byName, baseName: root.modelName };
}

/** The child resource instance for `entry` under `parent` (one per parent instance and type). */
function childInstance(parent: Resource, entry: ChildEntry): Resource {
  let byName = children.get(parent);
  if (!byName) {
    byName = new Map();
    children.set(parent, byName);
  }
  let child = byName.get(entry.name);
  if (!child) {
    child = spawnChild(parent, entry.resourceClass);
    byName.set(entry.name, child);
  }
  return child;
}

/**
 * The child resource that serializes `doc` in place of `resource`, or `undefined` when `resource` itself
 * does (no child resources, a base-type document, a type without a child resource, or `resource` is that
 * child resource already).
 */
export function childResourceFor(resource: Resource, doc: PlainDocument): Resource | undefined {
  const table = childTableOf(resource);
  if (!table) return undefined;
  const value = doc[table.key];
  if (typeof value !== 'string') return undefined;
  const entry = table.byValue.get(value);
  if (!entry || entry.resourceClass === resource.constructor) return undefined;
  return childInstance(resource, entry);
}

/** A page split by the resource serializing each document, with each document's position. */
export interface ChildGroup {
  resource: Resource;
  docs: PlainDocument[];
  positions: number[];
}

/** Groups `docs` by serializing resource; `undefined` when `resource` serializes them all itself. */
export function partitionByChild(resource: Resource, docs: readonly PlainDocument[]): ChildGroup[] | undefined {
  if (!childTableOf(resource)) return undefined;
  const groups = new Map<Resource, ChildGroup>();
  docs.forEach((doc, position) => {
    const target = childResourceFor(resource, doc) ?? resource;
    let group = groups.get(target);
    if (!group) {
      group = { resource: target, docs: [], positions: [] };
      groups.set(target, group);
    }
    group.docs.push(doc);
    group.positions.push(position);
  });
  if (groups.size === 1 && groups.has(resource)) return undefined;
  return [...groups.values()];
}

/**
 * Completes a read projection of a polymorphic resource: keeps the discriminator key (documents must
 * find their resource) and adds the paths the child resources output that the base resource does not
 * know. `undefined` (load whole documents) when a child outputs computed fields or chooses its fields
 * itself (`getFields` overridden), since then any path may be needed.
 */
export function polymorphicProjection(resource: Resource, projection: Record<string, 1>): Record<string, 1> | undefined {
  const table = childTableOf(resource);
  if (!table) return projection;
  const cacheKey = resource.constructor;
  let extra = projections.get(cacheKey);
  if (extra === undefined) {
    extra = childPaths(resource, table);
    projections.set(cacheKey, extra);
  }
  if (extra === null) return undefined;
  return { ...projection, ...extra, [table.key]: 1 };
}

function childPaths(resource: Resource, table: ChildTable): Record<string, 1> | null {
  const base = resource.meta;
  const known = new Set([...base.fields, ...base.optionalFields]);
  const paths: Record<string, 1> = {};
  for (const entry of table.byName.values()) {
    if (entry.resourceClass === resource.constructor) continue;
    const child = new entry.resourceClass();
    if (child.getFields !== resource.getFields) return null;
    const meta = metaOf(child);
    for (const field of [...meta.fields, ...meta.optionalFields]) {
      if (meta.computed.has(field)) return null;
      if (field !== 'id' && !known.has(field)) paths[field] = 1;
    }
  }
  return paths;
}

/**
 * The resource that creates the document a POST body describes: the child resource named by the
 * discriminator key (its API name; renames apply), else `defaultChildResourceDocument`, else the base
 * resource. An unknown type is a 400 naming the key.
 */
export function createTarget(resource: Resource, body: Record<string, unknown>): Resource {
  const table = childTableOf(resource);
  if (!table) return resource;
  const apiKey = resource.meta.apiNames.get(table.key) ?? table.key;
  const value = Object.hasOwn(body, apiKey) ? body[apiKey] : undefined;
  if (value === undefined || value === null) {
    const fallback = resource.defaultChildResourceDocument;
    const entry = fallback === undefined ? undefined : table.byName.get(fallback);
    return entry && entry.resourceClass !== resource.constructor ? childInstance(resource, entry) : resource;
  }
  const entry = typeof value === 'string' ? table.byValue.get(value) : undefined;
  if (entry) return entry.resourceClass === resource.constructor ? resource : childInstance(resource, entry);
  if (value === table.baseName && !table.byValue.has(value)) return resource;
  const allowed = [...table.byValue.keys()].map((type) => JSON.stringify(type)).join(', ');
  throw new BadRequest({ 'field-errors': { [apiKey]: `Unknown type ${JSON.stringify(value)}; expected one of ${allowed}.` } });
}

/** The resource that updates a stored document: the child resource of its type, else `resource`. */
export function updateTarget(resource: Resource, doc: { get(path: string): unknown }): Resource {
  const table = childTableOf(resource);
  if (!table) return resource;
  const value = doc.get(table.key);
  return typeof value === 'string' ? (childResourceFor(resource, { [table.key]: value }) ?? resource) : resource;
}
