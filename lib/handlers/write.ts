/** Create (`POST /posts/`), Update (`PUT /posts/<pk>/`), BulkUpdate (`PUT /posts/?filters`), Delete. */
import { CHANGED_MEANWHILE } from '../write/concurrency.js';
import { BadRequest, Conflict, HttpError, NotFound, PreconditionFailed } from '../errors.js';
import type { WriteAttempt } from '../idempotency/attempt.js';
import { buildFilter } from '../query/filters.js';
import { castPk } from '../query/pk.js';
import type { Resource } from '../resource.js';
import type { AnyDocument, PlainDocument, RequestContext } from '../types.js';
import { readJsonBody, readJsonObject, type BodyOptions } from '../write/body.js';
import { buildBatch, NOT_A_LIST } from '../write/bulk-create.js';
import { isDuplicateKeyError } from '../write/duplicates.js';
import { prepareCreate, prepareUpdate } from '../write/prepare.js';
import { checkBulkIfMatch, checkIfMatch, ifMatchOf, requireIfMatch, setItemEtag } from '../versioning/conditional.js';
import { directUpdate } from '../direct-update/update.js';
import { createDocument } from '../direct-create/insert.js';
import { sendItem } from './item-body.js';
import { filterTargetOf, plainOf } from './shared.js';

/** A conditional save found the document changed since it was read. */

/**
 * With an idempotency `attempt`, the document gets the `_id` recorded for it before anything is written;
 * when an earlier attempt of the same request already created it (found before writing, or as the
 * duplicate `_id` that stops this write), the answer is that document, as the first attempt would have
 * answered.
 */
export async function create(
  ctx: RequestContext,
  resource: Resource,
  body: BodyOptions,
  itemUrl: (id: unknown) => string,
  attempt?: WriteAttempt,
): Promise<void> {
  const id = attempt?.documentId;
  const landed = attempt?.takeover && id !== undefined ? await createdEarlier(resource, id) : null;
  if (landed) return answerCreated(ctx, resource, resource, plainOf(landed), itemUrl);
  // The resource of the document's type (polymorphic collections), relations checked in batch.
  // Neither step waits on the common write: no await (each is a promise and a turn of the microtask queue).
  const prepared = prepareCreate(ctx, resource, await readJsonObject(ctx, body));
  const { target, data } = prepared instanceof Promise ? await prepared : prepared;
  const checked = target.validateRequest(ctx, data);
  if (checked !== undefined) await checked;
  if (id !== undefined) data._id = id;
  let doc: PlainDocument;
  try {
    // `createObject`, or the same without `save()` where nothing can tell (direct-create/).
    doc = await createDocument(ctx, target, data);
  } catch (error) {
    const duplicate = id !== undefined && (isDuplicateKeyError(error) || (error instanceof HttpError && error.status === 409));
    const other = duplicate ? await createdEarlier(resource, id) : null;
    if (!other) throw error;
    doc = plainOf(other);
  }
  // Saved: building the answer gets a budget of its own (a failure from here on is 504, never 503).
  resource.deadline.restart();
  return answerCreated(ctx, resource, target, doc, itemUrl);
}

async function createdEarlier(resource: Resource, id: unknown): Promise<AnyDocument | null> {
  return (await resource.run(resource.document.findById(id))) as AnyDocument | null;
}

async function answerCreated(ctx: RequestContext, resource: Resource, target: Resource, doc: PlainDocument, itemUrl: (id: unknown) => string): Promise<void> {
  ctx.status = 201;
  ctx.set('Location', itemUrl(doc._id));
  setItemEtag(ctx, target.document, doc);
  return sendItem(ctx, resource, doc);
}

export async function bulkCreate(ctx: RequestContext, resource: Resource, body: BodyOptions): Promise<void> {
  const items = await readJsonBody(ctx, body);
  if (!Array.isArray(items)) throw new BadRequest(NOT_A_LIST);
  const built = await buildBatch(ctx, resource, items);
  // In the order given; nested documents of each item go just before it (Resource.saveDocument).
  for (const { target, doc } of built) await target.saveDocument(doc);
  ctx.status = 201;
  ctx.body = { data: await resource.serializeMany(built.map(({ doc }) => plainOf(doc)), ctx) };
}

/** The stored document to write (full Mongoose document, through `hasReadPermission`), or `null`. */
async function documentFor(ctx: RequestContext, resource: Resource, rawPk: string): Promise<AnyDocument | null> {
  const pk = castPk(resource.meta, rawPk);
  return (await resource.getObject(ctx, pk, { forWrite: true })) as AnyDocument | null;
}

/** The stored document to write (full Mongoose document, through `hasReadPermission`), else 404. */
export async function documentOr404(ctx: RequestContext, resource: Resource, rawPk: string): Promise<AnyDocument> {
  const doc = await documentFor(ctx, resource, rawPk);
  if (!doc) throw new NotFound();
  return doc;
}

/**
 * With an idempotency `attempt`, the save applies only to the version recorded before it; when an earlier
 * attempt already moved the document on, the answer is the document as it is now.
 */
export async function update(ctx: RequestContext, resource: Resource, body: BodyOptions, rawPk: string, attempt?: WriteAttempt): Promise<void> {
  requireIfMatch(ctx, resource.requireIfMatch);
  const input = await readJsonObject(ctx, body);
  // One round trip where nothing can tell (direct-update/); otherwise, or when it declines, load and save.
  if (attempt === undefined && ifMatchOf(ctx) === undefined) {
    const updated = await directUpdate(ctx, resource, input, rawPk);
    if (updated) {
      resource.deadline.restart();
      setItemEtag(ctx, resource.document, updated);
      return sendItem(ctx, resource, updated);
    }
  }
  const doc = await documentOr404(ctx, resource, rawPk);
  // Before If-Match: once an earlier attempt applied the change, its version no longer matches.
  if (await appliedEarlier(attempt, doc)) return answerUpdated(ctx, resource, doc);
  checkIfMatch(ctx, resource.document, doc);
  const { target, data } = await prepareUpdate(ctx, resource, input, doc);
  await target.validateRequest(ctx, data, doc);
  const saved = await saveChanges(ctx, resource, target, doc, data, rawPk, attempt);
  resource.deadline.restart();
  return answerUpdated(ctx, resource, saved);
}

/** 200 with the document (and its ETag), as PUT and PATCH answer. */
export async function answerUpdated(ctx: RequestContext, resource: Resource, doc: AnyDocument): Promise<void> {
  setItemEtag(ctx, resource.document, doc);
  return sendItem(ctx, resource, plainOf(doc));
}

/**
 * Before an update (PUT, PATCH) changes `doc` within an idempotency `attempt`: records its version, or, on
 * a takeover, tells whether the earlier attempt already applied the change (then answer with `doc`).
 */
export async function appliedEarlier(attempt: WriteAttempt | undefined, doc: AnyDocument): Promise<boolean> {
  return attempt !== undefined && (await attempt.beforeUpdate(doc)) === 'landed';
}

/**
 * `target.updateObject`; within an idempotency `attempt` the save is conditional on the recorded version.
 * When it moved on between the check and the save: on a takeover that is the earlier attempt landing late
 * (answer with the document as it is); otherwise someone else changed it (409, or 412 under If-Match).
 */
export async function saveChanges(
  ctx: RequestContext,
  resource: Resource,
  target: Resource,
  doc: AnyDocument,
  data: PlainDocument,
  rawPk: string,
  attempt?: WriteAttempt,
): Promise<AnyDocument> {
  try {
    return await target.updateObject(ctx, doc, data);
  } catch (error) {
    if (!attempt || !(error instanceof PreconditionFailed)) throw error;
    if (attempt.takeover) return documentOr404(ctx, resource, rawPk);
    if (ifMatchOf(ctx) !== undefined) throw error;
    throw new Conflict({ error: CHANGED_MEANWHILE });
  }
}

/**
 * Parameters that would choose which documents a list returns. A bulk update changes every document its
 * filters match, so honouring them is impossible and ignoring them would write more than the client
 * asked for: 400. (`_fields` and `_count` shape an output that `{"count"}` does not have: ignored.)
 */
const listSelectors = ['_limit', '_skip', '_order_by'] as const;

export async function bulkUpdate(ctx: RequestContext, resource: Resource, body: BodyOptions): Promise<void> {
  const selector = listSelectors.find((name) => ctx.query[name] !== undefined);
  if (selector !== undefined) throw new BadRequest(`${selector} is not allowed on a bulk update.`);
  // A misspelled filter must never widen a write to the whole collection: strict filters.
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: true });
  const input = await readJsonObject(ctx, body);
  const limit = resource.bulkUpdateLimit;
  const query = await resource.readableQuery(ctx, filter);
  const docs = (await resource.run(query.limit(limit + 1))) as AnyDocument[];
  if (docs.length > limit) throw new BadRequest(`It's not allowed to update more than ${limit} objects at once`);
  checkBulkIfMatch(ctx, resource.document, docs);
  const { data } = await prepareUpdate(ctx, resource, input);
  await resource.validateRequest(ctx, data);
  const count = await resource.updateObjects(ctx, docs, data);
  ctx.body = { count };
}

export async function bulkDelete(ctx: RequestContext, resource: Resource): Promise<void> {
  // As for bulk updates, a misspelled filter is a 400; and no filter at all never means "everything".
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: true });
  if (Object.keys(filter).length === 0) throw new BadRequest('A bulk delete needs at least one filter.');
  const limit = resource.bulkDeleteLimit;
  const query = await resource.readableQuery(ctx, filter);
  const docs = (await resource.run(query.limit(limit + 1))) as AnyDocument[];
  if (docs.length > limit) throw new BadRequest(`It's not allowed to delete more than ${limit} objects at once`);
  checkBulkIfMatch(ctx, resource.document, docs);
  ctx.body = { count: await resource.deleteObjects(ctx, docs) };
}

/** With an idempotency `attempt` that took over: a document an earlier attempt reached and is now gone was deleted by it. */
export async function remove(ctx: RequestContext, resource: Resource, rawPk: string, attempt?: WriteAttempt): Promise<void> {
  requireIfMatch(ctx, resource.requireIfMatch);
  const doc = await documentFor(ctx, resource, rawPk);
  if (!doc) {
    if (attempt?.reachedDocument) {
      ctx.status = 204;
      return;
    }
    throw new NotFound();
  }
  await attempt?.beforeDelete(doc);
  checkIfMatch(ctx, resource.document, doc);
  await resource.deleteObject(ctx, doc);
  ctx.status = 204;
}
