/** List (`GET /posts/`) and Fetch (`GET /posts/<pk>/`). */
import { BadRequest, NotFound } from '../errors.js';
import { encodeCursor, keysetFilter, parseAfter } from '../query/cursor.js';
import { buildFilter } from '../query/filters.js';
import { parseOrdering, wantsCount } from '../query/params.js';
import { castPk } from '../query/pk.js';
import { revive } from '../query/thenable.js';
import type { Resource } from '../resource.js';
import type { PlainDocument, RequestContext } from '../types.js';
import { answerNotModified, itemEtag, pageEtag } from '../versioning/conditional.js';
import { filterTargetOf } from './shared.js';

/** What cursor pagination needs from the view: the signing key and the view's identity. */
/** What Koa sends an object body as: a page sent as text says the same. */
const JSON_TYPE = 'application/json; charset=utf-8';

export interface ListOptions {
  cursorKey: Buffer;
  /** The view's collection path: a cursor made for one view is foreign to every other. */
  scope: string;
}

export async function list(ctx: RequestContext, resource: Resource, options?: ListOptions): Promise<void> {
  const meta = resource.meta;
  // Every 400 is decided before the database is touched.
  const page = resource.pagePlan(ctx);
  const sort = parseOrdering(ctx.query, meta.ordering);
  const cursor = options ? parseAfter(ctx.query, sort, options.scope, options.cursorKey) : undefined;
  if (cursor && !page) throw new BadRequest('_after needs a paginated resource.');
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: false });
  const fields = await resource.requestFields(ctx);

  const query = await resource.readableQuery(ctx, filter);
  const countFilter = wantsCount(ctx.query) ? query.getFilter() : undefined;
  const projection = resource.projectionFor(fields);
  // A cursor is made of the last document's ordered values: they are loaded even when not shown.
  if (projection && cursor) for (const key of cursor.keys) projection[key.field] = 1;
  if (projection) query.select(projection);
  if (cursor) {
    const order: Record<string, 1 | -1> = {};
    for (const key of cursor.keys) order[key.field] = key.direction;
    query.sort(order);
    // Keyset: continue right after the previous page's last document (no skip, whatever the depth).
    if (cursor.after) query.and([keysetFilter(cursor.keys, cursor.after)]);
  } else if (sort.length > 0) {
    const order: Record<string, 1 | -1> = {};
    for (const key of sort) order[key.field] = key.direction;
    // A unique tie-breaker keeps pages stable when the ordered values repeat.
    if (!('_id' in order)) order._id = 1;
    query.sort(order);
  }

  // getObjects may be overridden to run the query itself: it carries the time left as maxTimeMS already
  // (Resource.run sets it again, closer to sending).
  const remaining = resource.deadline.remainingMS();
  if (remaining > 0 && Number.isFinite(remaining)) query.maxTimeMS(Math.max(1, Math.floor(remaining)));
  const [result, total] = await Promise.all([
    // getObjects is an app override point: hand it an ordinary (awaitable) query.
    resource.getObjects(ctx, revive(query)),
    countFilter ? resource.run(resource.document.countDocuments(countFilter)) : undefined,
  ]);
  const body: PlainDocument = { data: await resource.serializeMany(result.objects, ctx) };
  if (page) body.has_more = result.hasMore;
  const last = result.objects.at(-1);
  if (cursor && result.hasMore && last) body.next = encodeCursor(cursor, last, options!.cursorKey);
  if (total !== undefined) body.total = total;
  if (result.extra) Object.assign(body, result.extra);
  // Stringified once: the weak validator (If-None-Match → 304) is a digest of exactly the text sent.
  const json = JSON.stringify(body);
  if (answerNotModified(ctx, pageEtag(json))) return;
  ctx.type = JSON_TYPE;
  ctx.body = json;
}

export async function fetch(ctx: RequestContext, resource: Resource, rawPk: string): Promise<void> {
  const pk = castPk(resource.meta, rawPk);
  const doc = (await resource.getObject(ctx, pk)) as PlainDocument | null;
  if (!doc) throw new NotFound();
  if (answerNotModified(ctx, itemEtag(resource.document, doc))) return;
  ctx.body = await resource.serialize(doc, ctx);
}
