/**
 * Related resources on output, loaded in batch. For a page of documents, every field that has a
 * related resource (`relatedResources`) is resolved at once:
 *
 *  - references (ids, single or in arrays) are gathered across the whole page and loaded with ONE query
 *    per related resource class (`_id: {$in: [...]}`, through its `getQueryset` and `hasReadPermission`,
 *    projected to its fields);
 *  - embedded sub-documents, populated documents and documents returned by computed fields are already
 *    in hand and need no query;
 *  - all of these are serialized by the related resource as one page (`serializeMany`), so their own
 *    relations are batched the same way, one level at a time;
 *  - in a polymorphic page the documents of every type are resolved together: still one query per
 *    related resource class (the child resources' `serialize` is called; their `serializeMany` is not).
 *
 * The output of each relation field is kept per document and read back by `serializeFields` when the
 * resource's `serialize(doc, ctx)` runs. Serializing a single document (fetch, create, update) is the
 * same thing with a page of one. References whose document is gone — or outside the related resource's
 * `hasReadPermission` for this reader: the same thing to the client — are dropped from arrays and `null`
 * in single fields; array order is kept.
 */
import { isMongooseDocument, isPlainObject } from '../guards.js';
import { andThen, promiseOf } from '../maybe-promise.js';
import { castId } from '../query/ids.js';
import { plainOf } from '../handlers/shared.js';
import { Resource, resourceClass, type ResourceClass } from '../resource.js';
import { stateKey } from '../resource/scope.js';
import { readByIds } from '../query/read-by-ids.js';
import type { MaybePromise, PlainDocument, RequestContext } from '../types.js';
import { childResourceFor, partitionByChild } from './children.js';
import { depthOf, fieldsFor, MAX_RELATION_DEPTH, spawnRelated } from './instances.js';
import { plainSerializer, serializeFields, storedValue } from './serialize.js';

type ComputedField = (doc: PlainDocument, ctx: RequestContext) => unknown;

/** Output values of relation fields, per resource instance (kept on it), by document object (and by `_id` string). */
export interface ResolvedRelations {
  byDoc: Map<PlainDocument, ReadonlyMap<string, unknown>>;
  byId: Map<string, ReadonlyMap<string, unknown>>;
}

/** Where one stored value points: an id to load, or a document already in hand. */
type Target = { id: string } | { doc: PlainDocument } | null;

/** The shape of one relation value of one document, before resolution. */
type Slot = { many: false; target: Target } | { many: true; targets: Target[] };

/** Everything one related resource class serializes for this page. */
interface Batch {
  resource: Resource;
  /** Ids to load, by string form, with their value cast to the related model's `_id` type. */
  ids: Map<string, unknown>;
  inHand: PlainDocument[];
}

/** Documents of one page served by one resource (the resource itself or a child resource). */
interface Group {
  resource: Resource;
  docs: readonly PlainDocument[];
}

/** Step 1 of a group: which relation fields it resolves, and each document's raw relation values. */
interface Plan {
  resource: Resource;
  docs: readonly PlainDocument[];
  relations: readonly string[];
  slots: Map<string, Slot[]>;
}

/**
 * The default `resource.serialize(doc, ctx)`: delegates to the child resource of the document's type,
 * loads the document's relations unless the page it belongs to already did, then outputs the requested
 * fields — at once (no promise) when there is nothing to wait for.
 */
export function serializeOne(resource: Resource, doc: PlainDocument, ctx: RequestContext): MaybePromise<PlainDocument> {
  const child = childResourceFor(resource, doc);
  // The child resource's `serialize` may be an app's override answering any thenable: made native.
  if (child) return Promise.resolve(child.serialize(doc, ctx));
  return andThen(fieldsFor(resource, ctx), (fields) => serializeOneWithFields(resource, doc, ctx, fields));
}

function serializeOneWithFields(resource: Resource, doc: PlainDocument, ctx: RequestContext, fields: readonly string[]): MaybePromise<PlainDocument> {
  if (relationFields(resource, fields).length === 0) return serializeFields(resource, doc, ctx, fields);
  const values = lookup(resource, doc);
  if (values) return serializeFields(resource, doc, ctx, fields, values);
  return preload(resource, [{ resource, docs: [doc] }], ctx).then(() => serializeFields(resource, doc, ctx, fields, lookup(resource, doc)));
}

/**
 * One document's output for a response (fetch, create, update, actions): `resource.serialize`, or, when
 * it is not overridden, its default body without the promise it would wrap the output in.
 */
export function serializeItem(resource: Resource, doc: PlainDocument, ctx: RequestContext): MaybePromise<PlainDocument> {
  // An override's promise made native (it may be any thenable).
  return resource.serialize === Resource.prototype.serialize ? serializeOne(resource, doc, ctx) : Promise.resolve(resource.serialize(doc, ctx));
}

/**
 * `resource.serializeMany(docs, ctx)` (`serializeIsDefault`: the resource does not override `serialize`).
 * A page of one type whose requested fields are stored values and relations is output in one synchronous
 * loop once its relations are loaded (none: at once). Otherwise the page is split by document type (child
 * resources), the relations of all of it are loaded in batch — one query per related resource class,
 * across types — and each document is serialized by the `serialize` of its own resource. The output keeps
 * the order of `docs`. The output is given at once (no promise) when there is nothing to wait for, and
 * the other paths add no promise of their own (each is a turn of the microtask queue per page).
 */
export function serializePage(resource: Resource, docs: PlainDocument[], ctx: RequestContext, serializeIsDefault: boolean): MaybePromise<PlainDocument[]> {
  const groups = partitionByChild(resource, docs);
  if (groups || !serializeIsDefault) return serializeEach(resource, docs, groups, ctx);
  return andThen(fieldsFor(resource, ctx), (fields) => pageOfOneType(resource, docs, ctx, fields));
}

/**
 * A page's output for a response (a list, the related documents of a page): `resource.serializeMany`,
 * or, when it is not overridden, its default body without the promise it would wrap the output in.
 */
export function serializeList(resource: Resource, docs: PlainDocument[], ctx: RequestContext): MaybePromise<PlainDocument[]> {
  // An override's promise made native (it may be any thenable).
  if (resource.serializeMany !== Resource.prototype.serializeMany) return Promise.resolve(resource.serializeMany(docs, ctx));
  return serializePage(resource, docs, ctx, resource.serialize === Resource.prototype.serialize);
}

/** A page of one type with the default `serialize`, its fields known. */
function pageOfOneType(resource: Resource, docs: PlainDocument[], ctx: RequestContext, fields: readonly string[]): MaybePromise<PlainDocument[]> {
  const plain = plainSerializer(resource, fields);
  if (plain) return docs.map(plain);
  if (!fields.some((field) => resource.meta.computed.has(field))) return serializeResolvedPage(resource, docs, ctx, fields);
  return serializeEach(resource, docs, undefined, ctx);
}

/** The general path: relations loaded for the whole page, then `serialize` per document (of its own type's resource). */
async function serializeEach(resource: Resource, docs: PlainDocument[], groups: ReturnType<typeof partitionByChild>, ctx: RequestContext): Promise<PlainDocument[]> {
  if (!groups) {
    await preload(resource, [{ resource, docs }], ctx);
    return Promise.all(docs.map((doc) => resource.serialize(doc, ctx)));
  }
  await preload(resource, groups, ctx);
  const out = new Array<PlainDocument>(docs.length);
  await Promise.all(
    groups.flatMap((group) =>
      group.docs.map(async (doc, index) => {
        out[group.positions[index]!] = await group.resource.serialize(doc, ctx);
      }),
    ),
  );
  return out;
}

/**
 * A page of one resource whose fields are stored values and relations: the relations are loaded in
 * batch, then each document is output without a promise of its own — what `serialize` per document
 * would give (test/fast-paths.test.ts compares both), minus a chain of promises per document.
 */
function serializeResolvedPage(resource: Resource, docs: PlainDocument[], ctx: RequestContext, fields: readonly string[]): Promise<PlainDocument[]> {
  return resolveGroups(resource, [{ resource, docs }], ctx).then((resolved) => outputPage(resource, docs, fields, resolved));
}

/** The rows of `serializeResolvedPage`: each document's stored values and resolved relations. */
function outputPage(resource: Resource, docs: PlainDocument[], fields: readonly string[], resolved: Resolved | undefined): PlainDocument[] {
  const plan = resolved?.plans[0];
  const meta = resource.meta;
  const keys = fields.map((field) => meta.apiNames.get(field) ?? field);
  const columns = fields.map((field) => {
    const slots = plan?.slots.get(field);
    return slots && resolved ? { slots, output: resolved.outputs.get(relatedClassOf(resource, field))! } : undefined;
  });
  return docs.map((doc, index) => {
    const out: PlainDocument = {};
    for (let column = 0; column < fields.length; column++) {
      const relation = columns[column];
      out[keys[column]!] = relation ? relationValue(relation.slots[index]!, relation.output) : storedValue(doc, fields[column]!);
    }
    return out;
  });
}

/** The requested fields that have a related resource (none past the nesting limit); memoized per request. */
function relationFields(resource: Resource, fields: readonly string[]): string[] {
  const cached = resource[stateKey].relationFields;
  if (cached && cached.fields === fields) return cached.relations;
  const related = resource.relatedResources;
  const relations =
    !related || depthOf(resource) >= MAX_RELATION_DEPTH ? [] : fields.filter((field) => field !== 'id' && Object.hasOwn(related, field));
  resource[stateKey].relationFields = { fields, relations };
  return relations;
}

function lookup(resource: Resource, doc: PlainDocument): ReadonlyMap<string, unknown> | undefined {
  const resolved = resource[stateKey].resolved;
  if (!resolved) return undefined;
  return resolved.byDoc.get(doc) ?? (doc._id === undefined || doc._id === null ? undefined : resolved.byId.get(String(doc._id)));
}

/**
 * Resolves the relation fields of every group's documents and records the output per document: the ids
 * of all groups are merged per related resource class, so each class costs one query for the page.
 */
async function preload(parent: Resource, groups: readonly Group[], ctx: RequestContext): Promise<void> {
  const resolved = await resolveGroups(parent, groups, ctx);
  if (resolved) for (const plan of resolved.plans) if (plan) record(plan, resolved.outputs);
}

/** The relations of a page: each group's plan, and the serialized related documents by class. */
interface Resolved {
  plans: (Plan | undefined)[];
  outputs: Map<ResourceClass, Outputs>;
}

/** Steps 1 and 2 for every group: the raw relation values, then the related documents serialized. */
function resolveGroups(parent: Resource, groups: readonly Group[], ctx: RequestContext): Promise<Resolved | undefined> {
  const batches = new Map<ResourceClass, Batch>();
  const batchFor = (Class: ResourceClass): Batch => {
    let batch = batches.get(Class);
    if (!batch) {
      batch = { resource: spawnRelated(parent, Class), ids: new Map(), inHand: [] };
      batches.set(Class, batch);
    }
    return batch;
  };
  const resolve = (plans: (Plan | undefined)[]): Promise<Resolved | undefined> =>
    batches.size === 0 ? Promise.resolve(undefined) : resolveBatches(batches, ctx).then((outputs) => ({ plans, outputs }));
  return promiseOf(() => {
    const collected = groups.map((group) => collect(group, ctx, batchFor));
    // Step 1 is synchronous unless a relation field is computed or the fields come from an async getFields.
    return collected.some((plan) => plan instanceof Promise) ? Promise.all(collected).then(resolve) : resolve(collected as (Plan | undefined)[]);
  });
}

function relatedClassOf(resource: Resource, field: string): ResourceClass {
  return resourceClass(resource.relatedResources[field]!);
}

/**
 * Step 1: raw values — stored values, or what computed fields return (all documents at once). Without
 * a computed relation field (and with the fields known), done at once.
 */
function collect(group: Group, ctx: RequestContext, batchFor: (Class: ResourceClass) => Batch): Plan | undefined | Promise<Plan | undefined> {
  return andThen(fieldsFor(group.resource, ctx), (fields) => collectWithFields(group, ctx, batchFor, fields));
}

function collectWithFields(group: Group, ctx: RequestContext, batchFor: (Class: ResourceClass) => Batch, fields: readonly string[]): Plan | undefined | Promise<Plan | undefined> {
  const { resource, docs } = group;
  const relations = relationFields(resource, fields);
  if (relations.length === 0 || docs.length === 0) return undefined;
  const meta = resource.meta;
  const slots = new Map<string, Slot[]>();
  const plan: Plan = { resource, docs, relations, slots };
  const computed: Promise<void>[] = [];
  for (const field of relations) {
    const batch = batchFor(relatedClassOf(resource, field));
    if (!meta.computed.has(field)) {
      slots.set(
        field,
        docs.map((doc) => slotOf(doc[field], batch)),
      );
      continue;
    }
    const method = (resource as unknown as Record<string, ComputedField>)[field]!;
    computed.push(
      Promise.all(docs.map((doc) => method.call(resource, doc, ctx))).then((raw) => {
        slots.set(
          field,
          raw.map((value) => slotOf(value, batch)),
        );
      }),
    );
  }
  return computed.length === 0 ? plan : Promise.all(computed).then(() => plan);
}

/** Serialized related documents of one class, by id (loaded) and by object (in hand). */
interface Outputs {
  byId: Map<string, PlainDocument>;
  byDoc: Map<PlainDocument, PlainDocument>;
}

/** Step 2: one query per related resource class for its ids, then one serialization per class. */
function resolveBatches(batches: ReadonlyMap<ResourceClass, Batch>, ctx: RequestContext): Promise<Map<ResourceClass, Outputs>> {
  const outputs = new Map<ResourceClass, Outputs>();
  const resolveOne = (Class: ResourceClass, batch: Batch): Promise<void> =>
    load(batch, ctx).then((loaded) => {
      const keep = (serialized: PlainDocument[]) => {
        const byId = new Map<string, PlainDocument>();
        loaded.forEach((doc, index) => byId.set(String(doc._id), serialized[index]!));
        const byDoc = new Map<PlainDocument, PlainDocument>();
        batch.inHand.forEach((doc, index) => byDoc.set(doc, serialized[loaded.length + index]!));
        outputs.set(Class, { byId, byDoc });
      };
      return andThen(serializeList(batch.resource, loaded.length === 0 ? batch.inHand : [...loaded, ...batch.inHand], ctx), keep);
    });
  const all = [...batches].map(([Class, batch]) => resolveOne(Class, batch));
  return (all.length === 1 ? all[0]! : Promise.all(all)).then(() => outputs);
}

/** Step 3: each document's relation outputs, in its own order; dangling references dropped / null. */
function record(plan: Plan, outputs: ReadonlyMap<ResourceClass, Outputs>): void {
  const { resource, docs, relations, slots } = plan;
  const state = resource[stateKey];
  // A Map, not a WeakMap: it lives as long as the instance, which serves one request.
  const resolved = (state.resolved ??= { byDoc: new Map(), byId: new Map() });
  const columns = relations.map((field) => ({ field, slots: slots.get(field)!, output: outputs.get(relatedClassOf(resource, field))! }));
  docs.forEach((doc, index) => {
    const values = new Map<string, unknown>();
    for (const { field, slots, output } of columns) values.set(field, relationValue(slots[index]!, output));
    resolved.byDoc.set(doc, values);
    if (doc._id !== undefined && doc._id !== null) resolved.byId.set(String(doc._id), values);
  });
}

/** One relation field's output: the related documents in the slot's order (dangling ones dropped), or one / `null`. */
function relationValue(slot: Slot, output: Outputs): PlainDocument | null | (PlainDocument | null)[] {
  if (!slot.many) return resolveTarget(slot.target, output) ?? null;
  const items: (PlainDocument | null)[] = [];
  for (const target of slot.targets) {
    const item = resolveTarget(target, output);
    if (item !== undefined) items.push(item);
  }
  return items;
}

function resolveTarget(target: Target, output: Outputs): PlainDocument | null | undefined {
  if (target === null) return null;
  return 'id' in target ? output.byId.get(target.id) : output.byDoc.get(target.doc);
}

function slotOf(value: unknown, batch: Batch): Slot {
  if (Array.isArray(value)) return { many: true, targets: value.map((item: unknown) => targetOf(item, batch)) };
  return { many: false, target: targetOf(value, batch) };
}

/** Classifies one value: nothing, a document in hand (sub-document, populated or computed), or an id. */
function targetOf(value: unknown, batch: Batch): Target {
  if (value === undefined || value === null) return null;
  if (isMongooseDocument(value)) {
    const doc = plainOf(value);
    batch.inHand.push(doc);
    return { doc };
  }
  if (isPlainObject(value)) {
    batch.inHand.push(value);
    return { doc: value };
  }
  const id = castId(batch.resource.document.schema, value);
  // An id that cannot be one (wrong type, malformed) points nowhere: dangling, never a 500.
  if (id === undefined) return { id: '' };
  const key = String(id);
  if (!batch.ids.has(key)) batch.ids.set(key, id);
  return { id: key };
}

/**
 * The referenced documents of a batch: one query, through the related resource's queryset, read
 * permission and projection (straight to the collection when those are the defaults: query/direct-read.ts).
 */
function load(batch: Batch, ctx: RequestContext): Promise<PlainDocument[]> {
  if (batch.ids.size === 0) return Promise.resolve([]);
  const related = batch.resource;
  const ids = [...batch.ids.values()];
  return promiseOf(() => andThen(fieldsFor(related, ctx), (fields) => readByIds(ctx, related, ids, related.projectionFor(fields))));
}
