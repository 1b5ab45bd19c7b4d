/** List (`GET /posts/`) and Fetch (`GET /posts/<pk>/`). */
import { NotFound } from '../errors.js';
import { buildFilter } from '../query/filters.js';
import { parseOrdering, wantsCount } from '../query/params.js';
import { castPk } from '../query/pk.js';
import { revive } from '../query/thenable.js';
import type { Resource } from '../resource.js';
import type { PlainDocument, RequestContext } from '../types.js';
import { answerNotModified, itemEtag, pageEtag } from '../versioning/conditional.js';
import { filterTargetOf } from './shared.js';

export async function list(ctx: RequestContext, resource: Resource): Promise<void> {
  const meta = resource.meta;
  // Every 400 is decided before the database is touched.
  const page = resource.pagePlan(ctx);
  const sort = parseOrdering(ctx.query, meta.ordering);
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: false });
  const fields = await resource.requestFields(ctx);

  const query = await resource.readableQuery(ctx, filter);
  const countFilter = wantsCount(ctx.query) ? query.getFilter() : undefined;
  const projection = resource.projectionFor(fields);
  if (projection) query.select(projection);
  if (sort.length > 0) {
    const order: Record<string, 1 | -1> = {};
    for (const key of sort) order[key.field] = key.direction;
    // A unique tie-breaker keeps pages stable when the ordered values repeat.
    if (!('_id' in order)) order._id = 1;
    query.sort(order);
  }

  const [result, total] = await Promise.all([
    // getObjects is an app override point: hand it an ordinary (awaitable) query.
    resource.getObjects(ctx, revive(query)),
    countFilter ? resource.run(resource.document.countDocuments(countFilter).exec()) : undefined,
  ]);
  const body: PlainDocument = { data: await resource.serializeMany(result.objects, ctx) };
  if (page) body.has_more = result.hasMore;
  if (total !== undefined) body.total = total;
  if (result.extra) Object.assign(body, result.extra);
  // A weak validator of the page as sent: If-None-Match → 304.
  if (answerNotModified(ctx, pageEtag(body))) return;
  ctx.body = body;
}

export async function fetch(ctx: RequestContext, resource: Resource, rawPk: string): Promise<void> {
  const pk = castPk(resource.meta, rawPk);
  const doc = (await resource.getObject(ctx, pk)) as PlainDocument | null;
  if (!doc) throw new NotFound();
  if (answerNotModified(ctx, itemEtag(resource.document, doc))) return;
  ctx.body = await resource.serialize(doc, ctx);
}
