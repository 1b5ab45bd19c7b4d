/**
 * The documents of a resource whose `_id` is among some ids, lean and projected, as that resource may
 * read them: through its queryset and both `hasReadPermission`s — or straight from the collection when
 * that query would only pass the command through (direct-read.ts). One query for a whole batch: the
 * related documents of a page (serialize/related.ts) and the existence check of written references
 * (write/nested.ts).
 */
import { type Resource } from '../resource.js';
import { readsDirectly, runTimed } from '../resource/reads.js';
import type { PlainDocument, RequestContext } from '../types.js';
import { findByIdsDirect } from './direct-read.js';
import { anyOfIds } from './ids.js';

/** `resource`'s readable documents among `ids` (cast to the `_id` type), with `projection` (none: whole). */
export function readByIds(ctx: RequestContext, resource: Resource, ids: unknown[], projection: Record<string, 1> | undefined): Promise<PlainDocument[]> {
  const idCondition = anyOfIds(ids);
  // The direct read's own promise, as it is (no wrapper per batch).
  if (readsDirectly(resource, 'find')) return runTimed(resource, (maxTimeMS) => findByIdsDirect(resource.document, idCondition, projection, maxTimeMS));
  return readQueried(ctx, resource, idCondition, projection);
}

async function readQueried(ctx: RequestContext, resource: Resource, idCondition: unknown, projection: Record<string, 1> | undefined): Promise<PlainDocument[]> {
  const query = await resource.readableQuery(ctx, { _id: idCondition });
  if (projection) query.select(projection);
  return (await resource.run(query.lean())) as PlainDocument[];
}
