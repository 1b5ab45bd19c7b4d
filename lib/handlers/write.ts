/** Create (`POST /posts/`), Update (`PUT /posts/<pk>/`), BulkUpdate (`PUT /posts/?filters`), Delete. */
import { BadRequest, NotFound } from '../errors.js';
import { buildFilter } from '../query/filters.js';
import { castPk } from '../query/pk.js';
import type { Resource } from '../resource.js';
import type { AnyDocument, RequestContext } from '../types.js';
import { readJsonBody, readJsonObject, type BodyOptions } from '../write/body.js';
import { buildBatch, NOT_A_LIST } from '../write/bulk-create.js';
import { prepareCreate, prepareUpdate } from '../write/prepare.js';
import { checkBulkIfMatch, checkIfMatch, requireIfMatch, setItemEtag } from '../versioning/conditional.js';
import { filterTargetOf, plainOf } from './shared.js';

export async function create(ctx: RequestContext, resource: Resource, body: BodyOptions, itemUrl: (id: unknown) => string): Promise<void> {
  // The resource of the document's type (polymorphic collections), relations checked in batch.
  const { target, data } = await prepareCreate(ctx, resource, await readJsonObject(ctx, body));
  await target.validateRequest(ctx, data);
  const doc = await target.createObject(ctx, data);
  ctx.status = 201;
  ctx.set('Location', itemUrl(doc._id));
  setItemEtag(ctx, target.document, doc);
  ctx.body = await resource.serialize(plainOf(doc), ctx);
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

/** The stored document to write (full Mongoose document, through `hasReadPermission`), else 404. */
export async function documentOr404(ctx: RequestContext, resource: Resource, rawPk: string): Promise<AnyDocument> {
  const pk = castPk(resource.meta, rawPk);
  const doc = (await resource.getObject(ctx, pk, { forWrite: true })) as AnyDocument | null;
  if (!doc) throw new NotFound();
  return doc;
}

export async function update(ctx: RequestContext, resource: Resource, body: BodyOptions, rawPk: string): Promise<void> {
  requireIfMatch(ctx, resource.requireIfMatch);
  const input = await readJsonObject(ctx, body);
  const doc = await documentOr404(ctx, resource, rawPk);
  checkIfMatch(ctx, resource.document, doc);
  const { target, data } = await prepareUpdate(ctx, resource, input, doc);
  await target.validateRequest(ctx, data, doc);
  const saved = await target.updateObject(ctx, doc, data);
  setItemEtag(ctx, resource.document, saved);
  ctx.body = await resource.serialize(plainOf(saved), ctx);
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
  const docs = (await resource.run(query.limit(limit + 1).exec())) as AnyDocument[];
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
  const docs = (await resource.run(query.limit(limit + 1).exec())) as AnyDocument[];
  if (docs.length > limit) throw new BadRequest(`It's not allowed to delete more than ${limit} objects at once`);
  checkBulkIfMatch(ctx, resource.document, docs);
  ctx.body = { count: await resource.deleteObjects(ctx, docs) };
}

export async function remove(ctx: RequestContext, resource: Resource, rawPk: string): Promise<void> {
  requireIfMatch(ctx, resource.requireIfMatch);
  const doc = await documentOr404(ctx, resource, rawPk);
  checkIfMatch(ctx, resource.document, doc);
  await resource.deleteObject(ctx, doc);
  ctx.status = 204;
}
