/**
 * NDJSON streaming (`GET /posts/` with `Accept: application/x-ndjson`): every matching document, one JSON
 * object per line, read from a database cursor and serialized in batches (related resources load once
 * per batch), so memory stays flat whatever the count. Filters, ordering, `_fields`, the queryset and
 * `hasReadPermission` apply as for a page; `_skip`/`_limit`/`_after` do not. Past
 * `Resource.maxStreamDocuments` the stream ends with `{"error": …, "truncated": true}`. An error once
 * the stream has started ends it with the error body a page would get (the status line is sent). A
 * client that disconnects closes the cursor.
 */
import { Readable } from 'node:stream';
import type { Resource } from '../resource.js';
import type { PlainDocument, RequestContext } from '../types.js';
import { failureAnswer } from '../http/error-response.js';
import { planStream } from './plan.js';

export const NDJSON = 'application/x-ndjson';
/** Documents serialized together (and fetched per round trip). */
const BATCH = 100;

/** `onError`: told of an unexpected failure once the stream has started (its line then says only 500). */
export async function stream(ctx: RequestContext, resource: Resource, onError: (error: unknown, ctx: RequestContext) => void): Promise<void> {
  const meta = resource.meta;
  const { filter, order, projection } = await planStream(ctx, resource);
  const query = await resource.readableQuery(ctx, filter);
  if (projection) query.select(projection);
  if (order) query.sort(order);
  if (ctx.method === 'HEAD') {
    // Nothing would read the stream: answer the headers without opening a cursor.
    ctx.type = NDJSON;
    ctx.status = 200;
    return;
  }
  const limit = resource.maxStreamDocuments;
  // One more than allowed tells whether the stream was cut.
  const cursor = query.limit(limit + 1).lean().batchSize(BATCH).cursor();

  async function* lines(): AsyncGenerator<string> {
    let sent = 0;
    let batch: PlainDocument[] = [];
    const flush = async () => {
      const out = await resource.serializeMany(batch, ctx);
      batch = [];
      return out.map((doc) => `${JSON.stringify(doc)}\n`).join('');
    };
    try {
      for await (const doc of cursor as AsyncIterable<PlainDocument>) {
        if (sent === limit) {
          if (batch.length > 0) yield await flush();
          yield `${JSON.stringify({ error: `The stream stopped after ${limit} documents (maxStreamDocuments).`, truncated: true })}\n`;
          return;
        }
        batch.push(doc);
        sent++;
        if (batch.length === BATCH) yield await flush();
      }
      if (batch.length > 0) yield await flush();
    } catch (thrown) {
      // The status line is gone: the last line says what happened, as the JSON error of a list would
      // (a stream writes nothing: what the server refused is the client's to change, e.g. a NUL).
      yield `${JSON.stringify(failureAnswer(thrown, meta, false, onError, ctx).body)}\n`;
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  ctx.type = NDJSON;
  // One batch buffered ahead at most: a slow reader holds back the cursor instead of filling memory.
  ctx.body = Readable.from(lines(), { highWaterMark: 1 });
}
