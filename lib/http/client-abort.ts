/**
 * A client that closes the connection mid-request (an aborted upload, a reset) is not an error of the
 * server. Koa reports the socket's error (`ECONNRESET`, or the HTTP parser's `HPE_INVALID_EOF_STATE`
 * when the body ends early) through `ctx.onerror`, and its default handler prints a stack trace — one per
 * aborted request. For the requests a MongoRest serves, such errors are left out of Koa's error event
 * (`onError` never sees them: a body read that ends that way is a `ClientAborted`, an HttpError). They
 * are reported only on `NODE_DEBUG=koa-mongorest`, one line each.
 */
import { debuglog } from 'node:util';
import type { RequestContext } from '../types.js';
import { ClientAborted } from '../write/raw-json.js';
import { requestState } from './request-state.js';

const debug = debuglog('koa-mongorest');

/** Socket and parser errors that mean the peer went away. */
const goneCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_EOF_STATE']);

/**
 * True when `error`, reported to `ctx.onerror`, says that the client closed the connection: our own
 * `ClientAborted`, or a peer error code while the request's socket is already destroyed (a database
 * error carrying such a code leaves the socket alone).
 */
export function isClientAbort(error: unknown, ctx: RequestContext): boolean {
  if (error instanceof ClientAborted) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !goneCodes.has(code)) return false;
  return ctx.req.socket.destroyed || ctx.req.readableAborted;
}

/** `ctx.onerror` while a MongoRest serves the request; Koa calls it as a method, like its own. */
function quietOnError(this: RequestContext, error: Error | null): void {
  if (error && isClientAbort(error, this)) {
    const code = (error as { code?: unknown }).code;
    debug('client closed the connection during %s %s (%s)', this.method, this.url, typeof code === 'string' ? code : error.message);
    return;
  }
  requestState(this).onerrorBefore!.call(this, error as Error);
}

/**
 * Keeps Koa from reporting the client's abort of this request as an error of the app (Koa calls
 * `ctx.onerror` when the socket fails); the abort is logged on NODE_DEBUG=koa-mongorest only.
 * One shared function, the previous handler kept on the context: a closure per request assigned to
 * `ctx.onerror` made V8 keep whole requests (and what `ctx.state` holds) through minor GCs.
 */
export function quietClientAborts(ctx: RequestContext): void {
  // Twice for one request (two MongoRest routers on its path): the handler before the first is kept.
  if (ctx.onerror === quietOnError) return;
  requestState(ctx).onerrorBefore = ctx.onerror;
  ctx.onerror = quietOnError;
}
