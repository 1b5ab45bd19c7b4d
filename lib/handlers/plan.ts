/**
 * The plan of a read (a list page or an NDJSON stream): everything the request's query string asks for,
 * parsed once at the start of the request — page, ordering, cursor, filter, output fields, projection,
 * count — and handed down to the query and the serializer. Every 400 about the query string is raised
 * here, before the database is touched. The page and the fields are also remembered by the resource
 * instance serving the request (`pagePlan(ctx)`, `requestFields(ctx)`), so the override points that
 * take only `ctx` (`getObjects`, `serialize`) read them instead of parsing again.
 */
import { BadRequest } from '../errors.js';
import { parseAfter, type CursorRequest } from '../query/cursor.js';
import { buildFilter } from '../query/filters.js';
import { parseOrdering, wantsCount, type PagePlan, type SortKey } from '../query/params.js';
import { andThen } from '../maybe-promise.js';
import { type Resource } from '../resource.js';
import { requestFieldsOf } from '../resource/request-fields.js';
import type { RequestContext } from '../types.js';
import { filterTargetOf } from './shared.js';

/** What cursor pagination needs from the view: the signing key and the view's identity. */
export interface ListOptions {
  cursorKey: Buffer;
  /** The view's collection path: a cursor made for one view is foreign to every other. */
  scope: string;
}

export interface ReadPlan {
  /** `_skip`/`_limit`; `undefined` when the resource does not paginate (and for streams). */
  page: PagePlan | undefined;
  /** `_after`: keyset pagination, its sort keys and the position to continue from. */
  cursor: CursorRequest | undefined;
  /** The client's filter (declared filters only), to AND with the queryset. */
  filter: Record<string, unknown>;
  /** The database sort: `_order_by` (or the cursor's keys) with `_id` as the tie-breaker; `undefined`: unordered. */
  order: Record<string, 1 | -1> | undefined;
  /** Internal names of the fields output (`getFields`, once). */
  fields: readonly string[];
  /** What the query loads; `undefined`: whole documents. */
  projection: Record<string, 1> | undefined;
  /** `_count`: the envelope carries `total`. */
  count: boolean;
}

/**
 * The plan of a list page (`GET /posts/`); `options` enable `_after` (absent: the view has no cursors).
 * Given at once; a promise only when the fields come from an asynchronous `getFields`/`requestFields`.
 */
export function planList(ctx: RequestContext, resource: Resource, options?: ListOptions): ReadPlan | Promise<ReadPlan> {
  const page = resource.pagePlan(ctx);
  const sort = parseOrdering(ctx.query, resource.meta.ordering);
  const cursor = options ? parseAfter(ctx.query, sort, options.scope, options.cursorKey) : undefined;
  if (cursor && !page) throw new BadRequest('_after needs a paginated resource.');
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: false });
  const count = wantsCount(ctx.query);
  const known = requestFieldsOf(resource, ctx);
  return andThen(known, (fields) => listPlan(resource, page, sort, cursor, filter, fields, count));
}

function listPlan(
  resource: Resource,
  page: PagePlan | undefined,
  sort: SortKey[],
  cursor: CursorRequest | undefined,
  filter: Record<string, unknown>,
  fields: readonly string[],
  count: boolean,
): ReadPlan {
  let projection = resource.projectionFor(fields);
  // A cursor is made of the last document's ordered values: they are loaded even when not shown (added
  // to a copy: the projection may be shared, the default fields' is made once per class).
  if (projection && cursor) {
    projection = { ...projection };
    for (const key of cursor.keys) projection[key.field] = 1;
  }
  let order: Record<string, 1 | -1> | undefined;
  if (cursor) {
    order = {};
    for (const key of cursor.keys) order[key.field] = key.direction;
  } else if (sort.length > 0) {
    order = {};
    for (const key of sort) order[key.field] = key.direction;
    // A unique tie-breaker keeps pages stable when the ordered values repeat.
    if (!('_id' in order)) order._id = 1;
  }
  return { page, cursor, filter, order, fields, projection, count };
}

/** The plan of an NDJSON stream: a list without paging (`_skip`, `_limit`, `_after` and `_count` do not apply). */
export async function planStream(ctx: RequestContext, resource: Resource): Promise<ReadPlan> {
  const sort = parseOrdering(ctx.query, resource.meta.ordering);
  const filter = buildFilter(ctx.query, filterTargetOf(resource), { strict: false });
  const known = requestFieldsOf(resource, ctx);
  const fields = Array.isArray(known) ? known : await known;
  let order: Record<string, 1 | -1> | undefined;
  if (sort.length > 0) {
    order = {};
    for (const key of sort) order[key.field] = key.direction;
    if (!('_id' in order)) order._id = 1;
  }
  return { page: undefined, cursor: undefined, filter, order, fields, projection: resource.projectionFor(fields), count: false };
}
