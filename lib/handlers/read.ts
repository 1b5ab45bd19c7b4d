/** List (`GET /posts/`) and Fetch (`GET /posts/<pk>/`). */
import { NotFound } from '../errors.js';
import { encodeCursor, keysetFilter } from '../query/cursor.js';
import { castPk } from '../query/pk.js';
import { revive } from '../query/thenable.js';
import { findPageDirect } from '../query/direct-read.js';
import type { PagePlan } from '../query/params.js';
import { Resource, type ObjectsPage } from '../resource.js';
import { readsDirectly, runTimed } from '../resource/reads.js';
import type { PlainDocument, RequestContext } from '../types.js';
import { answerNotModified, deferPageEtag, itemEtag } from '../versioning/conditional.js';
import { serializeList } from '../serialize/related.js';
import { sendItem } from './item-body.js';
import { planList, type ListOptions, type ReadPlan } from './plan.js';

export type { ListOptions } from './plan.js';

export async function list(ctx: RequestContext, resource: Resource, options?: ListOptions): Promise<void> {
  // Parsed once, every 400 decided before the database is touched.
  const planned = planList(ctx, resource, options);
  const plan = planned instanceof Promise ? await planned : planned;
  const { page, cursor } = plan;
  const [result, total] = pageDirectly(resource, plan) ? await directPage(resource, plan, page!) : await queriedPage(ctx, resource, plan);
  const serialized = serializeList(resource, result.objects, ctx);
  const body: PlainDocument = { data: serialized instanceof Promise ? await serialized : serialized };
  if (page) body.has_more = result.hasMore;
  const last = result.objects.at(-1);
  if (cursor && result.hasMore && last) body.next = encodeCursor(cursor, last, options!.cursorKey);
  if (total !== undefined) body.total = total;
  if (result.extra) Object.assign(body, result.extra);
  ctx.body = body;
  // Its weak ETag (If-None-Match → 304) is computed from the page as finally sent, after the view's
  // dispatch (which may rewrite it): versioning/conditional.ts's sendPage.
  deferPageEtag(ctx);
}

/** The page (and `_count`'s total) through the queryset, the read hooks and `getObjects`. */
async function queriedPage(ctx: RequestContext, resource: Resource, plan: ReadPlan): Promise<[ObjectsPage, unknown]> {
  const { cursor, filter, order, projection, count } = plan;
  const query = await resource.readableQuery(ctx, filter);
  // The total counts what the filter matches, whatever page or cursor position is asked for.
  const countFilter = count ? query.getFilter() : undefined;
  if (projection) query.select(projection);
  if (order) query.sort(order);
  // Keyset: continue right after the previous page's last document (no skip, whatever the depth).
  if (cursor?.after) query.and([keysetFilter(cursor.keys, cursor.after)]);

  // getObjects may be overridden to run the query itself: it carries the time left as maxTimeMS already
  // (Resource.run sets it again, closer to sending).
  const remaining = resource.deadline.remainingMS();
  if (remaining > 0 && Number.isFinite(remaining)) query.maxTimeMS(Math.max(1, Math.floor(remaining)));
  return Promise.all([
    // getObjects is an app override point: hand it an ordinary (awaitable) query.
    resource.getObjects(ctx, revive(query)),
    countFilter ? resource.run(resource.document.countDocuments(countFilter)) : undefined,
  ]);
}

/**
 * Whether the page is a plain read of the whole collection that may skip the Mongoose Query
 * (query/direct-read.ts): no client filter, no cursor, a page of at least one document, the default
 * `getObjects`, and `readsDirectly` (default queryset and read hooks, a plain model).
 */
function pageDirectly(resource: Resource, plan: ReadPlan): boolean {
  return (
    plan.page !== undefined &&
    plan.page.limit > 0 &&
    plan.cursor === undefined &&
    Object.keys(plan.filter).length === 0 &&
    resource.getObjects === Resource.prototype.getObjects &&
    readsDirectly(resource, 'find')
  );
}

/** What `queriedPage` gives for a plain page, read straight from the collection. */
async function directPage(resource: Resource, plan: ReadPlan, page: PagePlan): Promise<[ObjectsPage, unknown]> {
  const read = { sort: plan.order, skip: page.skip, limit: page.limit + 1, projection: plan.projection };
  const reading = runTimed(resource, (maxTimeMS) => findPageDirect(resource.document, read, maxTimeMS));
  // The queryset's filter is empty: `_count`'s total counts the whole collection.
  const [rows, total] = plan.count ? await Promise.all([reading, resource.run(resource.document.countDocuments({}))]) : [await reading, undefined];
  const hasMore = rows.length > page.limit;
  if (hasMore) rows.length = page.limit;
  return [{ objects: rows, hasMore }, total];
}

export async function fetch(ctx: RequestContext, resource: Resource, rawPk: string): Promise<void> {
  const pk = castPk(resource.meta, rawPk);
  const doc = (await resource.getObject(ctx, pk)) as PlainDocument | null;
  if (!doc) throw new NotFound();
  if (answerNotModified(ctx, itemEtag(resource.document, doc))) return;
  return sendItem(ctx, resource, doc);
}
