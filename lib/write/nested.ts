/**
 * Relations on input, checked in batch before anything is written.
 *
 *  - Reference fields (a schema `ref`, or an ObjectId path with a related resource) take ids. Every id
 *    of the request is checked to exist with ONE query per referenced model (through the related
 *    resource's `getQueryset` and `hasReadPermission` when there is one); an id that does not cast or
 *    does not exist is a 400 `field-errors` entry for that field (`"author"`, or `"lists.2"` for an array
 *    item). An id outside the reader's scope gets exactly the message of a missing one: no oracle.
 *  - `saveRelatedFields`: a nested object without `id` creates a document, one with `id` updates that
 *    document (loaded in one query per field, within the related resource's read scope), a bare id just
 *    references one. Each nested object goes through the related resource (renames, writable fields,
 *    `validateRequest`, `hasChangePermission` / `hasAddPermission`, schema validation); the
 *    field then stores the ids, in the order given. Errors are keyed `"lists.1.name"`.
 *  - Embedded sub-documents with a related resource take that resource's API names and keep their `id`
 *    (round trip of what GET outputs); their own references are checked the same way.
 *  - A reference field also takes the nested object GET outputs for it: the object stands for its id.
 *
 * Nothing is written here. The nested documents are staged on the resource instance and saved, in order,
 * by `flushRelatedWrites` — called from `Resource.saveDocument` just before the parent document, i.e.
 * after the parent was validated and authorized. A failure at any step before that writes nothing.
 */
import { NON_FINITE_MESSAGE, nonFinitePaths } from './finite.js';
import { isModel, isPlainObject, isValidationError } from '../guards.js';
import { anyOfIds, castId } from '../query/ids.js';
import type { Schema } from 'mongoose';
import { BadRequest, NotFound } from '../errors.js';
import { changedMeanwhile } from './concurrency.js';
import { apiPath } from '../http/field-errors.js';
import { Resource, resourceClass, type ResourceClass } from '../resource.js';
import { authorizeWrite } from '../resource/permissions.js';
import { runTimed } from '../resource/reads.js';
import { readByIds } from '../query/read-by-ids.js';
import { directReadable, findByIdsDirect } from '../query/direct-read.js';
import { discriminatorKeyOf } from '../serialize/children.js';
import { spawnRelated } from '../serialize/instances.js';
import type { AnyDocument, AnyModel, MaybePromise, PlainDocument, RequestContext } from '../types.js';
import { toInternalData } from './input.js';
import { numberValueProblems } from './number-values.js';

/** Nested objects of `saveRelatedFields` inside nested objects are followed this deep. */
const MAX_INPUT_DEPTH = 4;

type InputKind = 'reference' | 'save' | 'embedded';

/** How one writable field of a resource takes related data. */
interface RelationInput {
  readonly field: string;
  readonly kind: InputKind;
  /** The path is an array (of ids or of sub-documents). */
  readonly many: boolean;
  readonly related?: ResourceClass;
  /** The referenced model: the related resource's document, else the schema's `ref`. */
  readonly model?: AnyModel;
  /** API name of `id` in the related resource: a nested object carrying it stands for that id. */
  readonly idKey?: string;
}

/** A data object being prepared and the API path its errors are reported under (`""`, `"lists.0."`). */
interface Item {
  data: PlainDocument;
  prefix: string;
}

/** A document to save before the parent, with the resource that saves it. */
interface StagedWrite {
  resource: Resource;
  doc: AnyDocument;
}

/** State of one request's preparation. */
interface Run {
  ctx: RequestContext;
  errors: Record<string, string>;
  staged: StagedWrite[];
}

/** One existence check: the ids of a model wanted by this request, and where each was used. */
interface Check {
  find(ids: unknown[]): Promise<unknown[]>;
  ids: Map<string, unknown>;
  uses: { id: string; errorKey: string }[];
}

interface SchemaTypeLike {
  instance?: string;
  options?: { ref?: unknown };
  $isMongooseDocumentArray?: boolean;
  embeddedSchemaType?: SchemaTypeLike;
  /** Mongoose 8's name for `embeddedSchemaType`. */
  $embeddedSchemaType?: SchemaTypeLike;
  caster?: SchemaTypeLike;
  cast(value: unknown): unknown;
}

const plans = new WeakMap<object, RelationInput[]>();
const pendingWrites = new WeakMap<Resource, { entries: StagedWrite[]; done?: Promise<void> }>();

/**
 * Prepares `data` (internal names, writable fields) of a write on `resource` in place: checks that the
 * referenced documents exist, turns nested objects of `saveRelatedFields` into ids (staging their
 * documents), translates embedded sub-documents. Throws a 400 with every field error found.
 */
export function prepareRelatedInput(ctx: RequestContext, resource: Resource, data: PlainDocument): MaybePromise<PlainDocument> {
  const plan = inputPlan(resource);
  // No relation in the body (the common write): `data` at once, no promise.
  if (!plan.some((relation) => Object.hasOwn(data, relation.field))) return data;
  return prepareRelations(ctx, resource, data);
}

async function prepareRelations(ctx: RequestContext, resource: Resource, data: PlainDocument): Promise<PlainDocument> {
  const run: Run = { ctx, errors: {}, staged: [] };
  await prepareLevel(run, resource, [{ data, prefix: '' }], 0);
  if (Object.keys(run.errors).length > 0) throw new BadRequest({ 'field-errors': run.errors });
  if (run.staged.length > 0) pendingWrites.set(resource, { entries: run.staged });
  return data;
}

/**
 * Saves the nested documents staged by `prepareRelatedInput` for `resource`, one after the other in the
 * order given, once (later calls wait for the same writes). `Resource.saveDocument` calls it first.
 */
export function flushRelatedWrites(resource: Resource): Promise<void> {
  const pending = pendingWrites.get(resource);
  if (!pending) return Promise.resolve();
  pending.done ??= (async () => {
    for (const { resource: owner, doc } of pending.entries) {
      try {
        await owner.saveDocument(doc);
      } catch (error) {
        // A nested document deleted since it was loaded: the request's document itself is there (no 404).
        throw error instanceof NotFound ? changedMeanwhile() : error;
      }
    }
  })();
  return pending.done;
}

async function prepareLevel(run: Run, resource: Resource, items: Item[], depth: number): Promise<void> {
  const meta = resource.meta;
  const checks = new Map<unknown, Check>();
  const tasks: Promise<void>[] = [];
  for (const relation of inputPlan(resource)) {
    const present = items.filter((item) => Object.hasOwn(item.data, relation.field));
    if (present.length === 0) continue;
    const api = meta.apiNames.get(relation.field) ?? relation.field;
    if (relation.kind === 'reference') {
      for (const item of present) {
        item.data[relation.field] = unwrapIds(item.data[relation.field], relation);
        forEachValue(item.data[relation.field], relation.many, `${item.prefix}${api}`, (value, errorKey) => {
          addCheck(run, checks, resource, relation, value, errorKey);
        });
      }
    } else if (relation.kind === 'embedded') {
      tasks.push(prepareEmbedded(run, resource, relation, present, api, depth));
    } else if (depth < MAX_INPUT_DEPTH) {
      tasks.push(prepareSaved(run, resource, relation, present, api, checks, depth));
    }
  }
  // prepareSaved registers its checks before its first await: every check of this level is known here.
  await Promise.all([...tasks, ...[...checks.values()].map((check) => runCheck(run, check))]);
}

/** Calls `visit` for each id of a reference value (`null` skipped), with the error key of its position. */
function forEachValue(value: unknown, many: boolean, key: string, visit: (value: unknown, errorKey: string) => void): void {
  if (value === undefined || value === null) return;
  if (many && Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      if (item !== undefined && item !== null) visit(item, `${key}.${index}`);
    });
  } else {
    visit(value, key);
  }
}

/**
 * What GET outputs for a reference with a related resource — the nested object — may be sent back as
 * it is: the object stands for its id (other keys are ignored; `saveRelatedFields` is what writes them).
 */
function unwrapIds(value: unknown, relation: RelationInput): unknown {
  const idKey = relation.idKey;
  if (idKey === undefined) return value;
  const unwrap = (element: unknown) => (isPlainObject(element) && Object.hasOwn(element, idKey) ? element[idKey] : element);
  return relation.many && Array.isArray(value) ? value.map(unwrap) : unwrap(value);
}

/** Registers an id to check for existence; an id that does not cast is an error right away. */
function addCheck(run: Run, checks: Map<unknown, Check>, resource: Resource, relation: RelationInput, value: unknown, errorKey: string): void {
  const checkKey = relation.related ?? relation.model;
  if (checkKey === undefined || relation.model === undefined) return;
  let check = checks.get(checkKey);
  if (!check) {
    check = { find: finderFor(run.ctx, resource, relation), ids: new Map(), uses: [] };
    checks.set(checkKey, check);
  }
  const id = castId(relation.model.schema, value);
  if (id === undefined) {
    run.errors[errorKey] = `Invalid id ${describe(value)}.`;
    return;
  }
  const key = String(id);
  check.ids.set(key, id);
  check.uses.push({ id: key, errorKey });
}

/** The projection of an existence check. */
const idOnly = { _id: 1 } as const;

/**
 * Finds which of `ids` exist: through the related resource's queryset, else on the `ref` model —
 * straight from the collection (query/direct-read.ts) when the Query would only pass the command through.
 */
function finderFor(ctx: RequestContext, resource: Resource, relation: RelationInput): Check['find'] {
  if (relation.related) {
    const related = spawnRelated(resource, relation.related);
    return async (ids) => idsOf(await readByIds(ctx, related, ids, idOnly));
  }
  const model = relation.model!;
  return async (ids) => {
    // A plain `ref` has no queryset or read permission: only the model's Query and `run` could differ.
    if (resource.run === Resource.prototype.run && directReadable(model, 'find')) {
      return idsOf(await runTimed(resource, (maxTimeMS) => findByIdsDirect(model, anyOfIds(ids), idOnly, maxTimeMS)));
    }
    return idsOf((await resource.run(model.find({ _id: anyOfIds(ids) }).select(idOnly).lean())) as PlainDocument[]);
  };
}

function idsOf(rows: PlainDocument[]): unknown[] {
  return rows.map((row) => row._id);
}

async function runCheck(run: Run, check: Check): Promise<void> {
  if (check.ids.size === 0) return;
  const found = new Set((await check.find([...check.ids.values()])).map((id) => String(id)));
  for (const use of check.uses) {
    if (!found.has(use.id)) run.errors[use.errorKey] ??= `No document with id ${JSON.stringify(use.id)}.`;
  }
}

/** Embedded sub-documents with a related resource: API names → internal, then their own relations. */
async function prepareEmbedded(run: Run, resource: Resource, relation: RelationInput, items: Item[], api: string, depth: number): Promise<void> {
  const related = spawnRelated(resource, relation.related!);
  const idKey = related.meta.apiNames.get('id') ?? 'id';
  const nested: Item[] = [];
  const translate = (value: unknown, prefix: string): unknown => {
    if (!isPlainObject(value)) return value;
    const data = toInternalData(related.meta, value);
    // A sub-document keeps its `_id` when the object sent back carries it.
    if (related.document.schema.path('_id') && value[idKey] !== undefined && value[idKey] !== null) data._id = value[idKey];
    nested.push({ data, prefix: `${prefix}.` });
    return data;
  };
  for (const item of items) {
    const value = item.data[relation.field];
    item.data[relation.field] =
      relation.many && Array.isArray(value)
        ? value.map((element: unknown, index) => translate(element, `${item.prefix}${api}.${index}`))
        : translate(value, `${item.prefix}${api}`);
  }
  if (nested.length > 0) await prepareLevel(run, related, nested, depth + 1);
}

/** One element of a `saveRelatedFields` value, classified. */
type Element =
  | { kind: 'none' }
  | { kind: 'id'; value: unknown }
  | { kind: 'create'; data: PlainDocument; errorKey: string }
  | { kind: 'update'; id: string; data: PlainDocument; errorKey: string };

/** `saveRelatedFields`: nested objects → staged creates/updates, the field → their ids in order. */
async function prepareSaved(
  run: Run,
  resource: Resource,
  relation: RelationInput,
  items: Item[],
  api: string,
  checks: Map<unknown, Check>,
  depth: number,
): Promise<void> {
  const related = spawnRelated(resource, relation.related!);
  const relatedMeta = related.meta;
  const model = related.document;
  const idApi = relatedMeta.apiNames.get('id') ?? 'id';
  const toLoad = new Map<string, unknown>();
  const perItem: { item: Item; elements: Element[]; many: boolean }[] = [];

  // 1. Classify (synchronously: bare ids join this level's existence checks).
  for (const item of items) {
    const value = item.data[relation.field];
    const key = `${item.prefix}${api}`;
    if (relation.many && !Array.isArray(value) && value !== null) {
      run.errors[key] = 'Expected a list.';
      continue;
    }
    const values: unknown[] = relation.many ? ((value as unknown[] | null) ?? []) : [value];
    const elements = values.map((element, index): Element => {
      const errorKey = relation.many ? `${key}.${index}` : key;
      if (element === undefined || element === null) return { kind: 'none' };
      if (!isPlainObject(element)) {
        addCheck(run, checks, resource, relation, element, errorKey);
        return { kind: 'id', value: element };
      }
      const data = toInternalData(relatedMeta, element);
      dropDiscriminatorKey(model, data);
      const rawId = Object.hasOwn(element, idApi) ? element[idApi] : undefined;
      if (rawId === undefined || rawId === null) return { kind: 'create', data, errorKey };
      const id = castId(model.schema, rawId);
      if (id === undefined) {
        run.errors[errorKey] = `Invalid id ${describe(rawId)}.`;
        return { kind: 'none' };
      }
      toLoad.set(String(id), id);
      return { kind: 'update', id: String(id), data, errorKey };
    });
    perItem.push({ item, elements, many: relation.many && value !== null });
  }

  // 2. The documents to update: one query for the field.
  const existing = new Map<string, AnyDocument>();
  if (toLoad.size > 0) {
    const query = await related.readableQuery(run.ctx, { _id: anyOfIds([...toLoad.values()]) });
    const docs = (await related.run(query)) as AnyDocument[];
    for (const doc of docs) existing.set(String(doc._id), doc);
  }

  // 3. Their own relations (one level deeper, batched across all nested objects of the field).
  const nested: Item[] = [];
  for (const { elements } of perItem) {
    for (const element of elements) {
      if (element.kind === 'update' && !existing.has(element.id)) {
        run.errors[element.errorKey] = `No document with id ${JSON.stringify(element.id)}.`;
      } else if (element.kind === 'create' || element.kind === 'update') {
        nested.push({ data: element.data, prefix: `${element.errorKey}.` });
      }
    }
  }
  if (nested.length > 0) await prepareLevel(run, related, nested, depth + 1);

  // 4. Build and validate every nested document (nothing is saved here).
  const built = new Map<Element, AnyDocument>();
  for (const { elements } of perItem) {
    for (const element of elements) {
      if (element.kind === 'create' || element.kind === 'update') {
        // The same rule as for the parent (prepare.ts): Number paths take numbers and plain decimals.
        for (const [path, message] of Object.entries(numberValueProblems(relatedMeta.schema, element.data))) {
          run.errors[`${element.errorKey}.${apiPath(relatedMeta, path)}`] = message;
        }
      }
      if (element.kind === 'create') built.set(element, new model(element.data) as AnyDocument);
      if (element.kind === 'update' && existing.has(element.id)) built.set(element, existing.get(element.id)!);
    }
  }
  // The related resource's permission hooks, as for the parent: hasChangePermission on the stored state
  // before the change, hasAddPermission on the built and validated document. A refusal is 403 (thrown
  // here, before anything is staged: nothing is written).
  await Promise.all(
    [...built].map(async ([element, doc]) => {
      if (element.kind !== 'create' && element.kind !== 'update') return;
      await related.validateRequest(run.ctx, element.data, element.kind === 'update' ? doc : undefined);
      if (element.kind === 'update') {
        await authorizeWrite(related, 'hasChangePermission', run.ctx, doc);
        related.applyChanges(doc, element.data);
      }
      let valid = true;
      try {
        await doc.validate();
      } catch (error) {
        if (!isValidationError(error)) throw error;
        valid = false;
        for (const [path, detail] of Object.entries(error.errors)) {
          run.errors[`${element.errorKey}.${apiPath(relatedMeta, path)}`] = detail.message;
        }
      }
      // The same rule as Resource.validateDocument for the parent: numbers are finite.
      for (const path of nonFinitePaths(doc)) {
        valid = false;
        run.errors[`${element.errorKey}.${apiPath(relatedMeta, path)}`] = NON_FINITE_MESSAGE;
      }
      // Like the parent's: an invalid document never reaches hasAddPermission (400 instead).
      if (element.kind === 'create' && valid) await authorizeWrite(related, 'hasAddPermission', run.ctx, doc);
    }),
  );

  // 5. The field stores the ids in the order given; the documents are staged in that order too.
  for (const { item, elements, many } of perItem) {
    const ids = elements.map((element) => {
      if (element.kind === 'none') return null;
      if (element.kind === 'id') return element.value;
      const doc = built.get(element);
      if (doc) run.staged.push({ resource: related, doc });
      return doc ? doc._id : null;
    });
    item.data[relation.field] = many ? ids.filter((id) => id !== null) : (ids[0] ?? null);
  }
}

/**
 * Builds (and caches) the relation inputs of `resource` and of the resources its nested writes go
 * through, so that a checked `ref` naming no model throws at `register` rather than at the first write.
 */
export function checkRelationInputs(resource: Resource, seen = new Set<unknown>()): void {
  if (seen.has(resource.constructor)) return;
  seen.add(resource.constructor);
  for (const relation of inputPlan(resource)) {
    if (relation.kind !== 'reference' && relation.related) checkRelationInputs(new relation.related(), seen);
  }
}

/** The relation inputs of a resource class, from its schema and `relatedResources` (cached). */
function inputPlan(resource: Resource): RelationInput[] {
  const cacheKey = resource.constructor;
  let plan = plans.get(cacheKey);
  if (!plan) {
    plan = buildPlan(resource);
    plans.set(cacheKey, plan);
  }
  return plan;
}

function buildPlan(resource: Resource): RelationInput[] {
  const meta = resource.meta;
  const schema: Schema = meta.schema;
  const relatedResources = resource.relatedResources ?? {};
  const saved = new Set(resource.saveRelatedFields ?? []);
  const plan: RelationInput[] = [];
  for (const field of meta.writable) {
    const related = Object.hasOwn(relatedResources, field) ? resourceClass(relatedResources[field]!) : undefined;
    const type = schema.path(field) as unknown as SchemaTypeLike | undefined;
    if (!type) {
      if (related && schema.pathType(field) === 'nested') plan.push({ field, kind: 'embedded', many: false, related });
      continue;
    }
    if (type.$isMongooseDocumentArray || type.instance === 'Embedded') {
      if (related) plan.push({ field, kind: 'embedded', many: type.instance === 'Array', related });
      continue;
    }
    const many = type.instance === 'Array';
    const element = many ? (type.embeddedSchemaType ?? type.$embeddedSchemaType ?? type.caster) : type;
    if (!element) continue;
    const ref = element.options?.ref;
    const refModel = typeof ref === 'string' ? meta.model.db.models[ref] : isModel(ref) ? ref : undefined;
    // A plain `ref` (no related resource) is checked unless the resource opts out; declared relations always are.
    if (!related && !resource.checkReferences) continue;
    if (!related && !refModel) {
      // Checking against a model that does not exist would store any id; refuse rather than skip silently.
      // (A `ref` function is resolved per document by Mongoose: it cannot be checked here and is skipped.)
      if (typeof ref === 'string') throw new Error(missingModel(meta.name, field, ref, meta.model));
      continue;
    }
    if (related && ref === undefined && element.instance !== 'ObjectId') continue;
    const relatedResource = related ? new related() : undefined;
    const model = relatedResource ? relatedResource.document : refModel;
    const idKey = relatedResource ? (relatedResource.meta.apiNames.get('id') ?? 'id') : undefined;
    plan.push({ field, kind: saved.has(field) && related ? 'save' : 'reference', many, related, model, idKey });
  }
  return plan;
}

/** Removes the discriminator key: the model that builds the document sets it (and the type never changes). */
export function dropDiscriminatorKey(model: AnyModel, data: PlainDocument): void {
  const key = discriminatorKeyOf(model);
  if (key !== undefined) delete data[key];
}

function missingModel(owner: string, field: string, ref: string, model: AnyModel): string {
  return (
    `${owner}: field ${JSON.stringify(field)} references model ${JSON.stringify(ref)}, which is not defined on the connection of` +
    ` ${JSON.stringify(model.modelName)}, so its ids cannot be checked. Define the ${ref} model on that connection before` +
    ' registering the view, or set checkReferences = false on the resource to store such ids unchecked.'
  );
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
