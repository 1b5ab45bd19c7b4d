/**
 * The `Idempotency-Key` wrapper around a write handler (POST, PUT, PATCH, DELETE): the first request
 * with a key runs and its answer is stored; a retry with the same key replays it without writing again.
 *
 *   new key                    → insert the record (lease + the new `_id` for a create), run, store the answer
 *   same key, answer stored    → replay it (status, `Location`, `ETag`, body) + `Idempotent-Replayed: true`
 *   same key, still running    → 409
 *   same key, other request    → 422
 *   same key, outcome unknown  → take the record over and run again; the handler first checks whether the
 *                                earlier attempt's write landed (the `_id` exists / the version moved on)
 *
 * Answers stored: 2xx and 4xx. A 5xx (503, 504 or a bug) ends the lease at once instead — a retry may
 * take over right away, and the recorded `_id`/version still keeps it from applying the change twice.
 */
import type { Connection } from 'mongoose';
import { BadRequest, Conflict, HttpError } from '../errors.js';
import { toHttpError } from '../http/error-response.js';
import type { ResourceMeta } from '../resource-meta.js';
import type { RequestContext } from '../types.js';
import { hasBody, jsonTypes, readJsonBody, type BodyOptions } from '../write/body.js';
import { RecordedAttempt, type WriteAttempt } from './attempt.js';
import { principalDigest, recordId, requestFingerprint } from './fingerprint.js';
import type { IdempotencyConfig } from './options.js';
import { storeFor, type StoredResponse } from './store.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const MAX_KEY_LENGTH = 255;
/** Methods whose requests honour the header (PATCH included for when it exists). */
export const keyedMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Methods whose handlers read a body (the fingerprint includes it). */
const methodsWithBody: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
/** Response headers a replay repeats. */
const replayedHeaders = ['Location', 'ETag'] as const;
/** Operations a write request may chain (lookup, reference checks, save, reads to serialize): its lease. */
const LEASE_IN_DEADLINES = 4;
/** The lease when operations have no deadline (`databaseTimeoutMS: 0`). */
const LEASE_WITHOUT_DEADLINE_MS = 60_000;

export const KEY_LENGTH_ERROR = `The ${IDEMPOTENCY_HEADER} header must be 1 to ${MAX_KEY_LENGTH} characters long.`;
export const KEY_REUSED_ERROR = `This ${IDEMPOTENCY_HEADER} was already used for a different request.`;
export const IN_FLIGHT_ERROR = `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry once it has been answered.`;

/** What the view binding knows about the keyed request. */
export interface KeyedWrite {
  config: IdempotencyConfig;
  /** The connection of the view's model (the records live there). */
  connection: Connection;
  databaseTimeoutMS: number;
  /** The view's full collection path: keys are separate per view. */
  view: string;
  meta: ResourceMeta;
  body: BodyOptions;
  /**
   * The URL the request is fingerprinted by, when not `ctx.originalUrl`: an alias (`/users/me/`) is
   * fingerprinted as the URL of the document it resolved to.
   */
  requestUrl?: string;
  /** A create: makes the `_id` the new document will get (`undefined` when the library cannot make one). */
  newDocumentId?: () => unknown;
}

/** The request's key, `undefined` without the header; 400 when empty or longer than 255 characters. */
export function idempotencyKeyOf(ctx: RequestContext): string | undefined {
  const raw = ctx.req.headers[IDEMPOTENCY_HEADER.toLowerCase()];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new BadRequest(KEY_LENGTH_ERROR);
  return key;
}

/** Runs `handler` at most once per key (see the module comment); `key` from `idempotencyKeyOf`. */
export async function runKeyedWrite(
  ctx: RequestContext,
  key: string,
  write: KeyedWrite,
  handler: (attempt: WriteAttempt) => Promise<void>,
): Promise<void> {
  // Bad JSON is answered before any record exists (the same bytes always get the same 4xx). Bodies of
  // other types are left to the handler (which answers 415 its own way, e.g. with Accept-Patch).
  const readsJson = methodsWithBody.has(ctx.method) && hasBody(ctx) && ctx.is(jsonTypes) !== false;
  const body = readsJson ? await readJsonBody(ctx, write.body) : undefined;
  const principal = write.config.principal(ctx);
  if (typeof principal !== 'string') throw new TypeError('idempotency.principal must return a string.');
  const store = storeFor(write.connection, write.databaseTimeoutMS);
  const claim = await store.claim({
    id: recordId(write.view, principal, key),
    key,
    view: write.view,
    principal: principalDigest(principal),
    fingerprint: requestFingerprint(ctx.method, write.requestUrl ?? ctx.originalUrl, body),
    ...(ctx.method === 'POST' && write.newDocumentId ? { documentId: write.newDocumentId() } : {}),
    leaseMS: leaseFor(write.databaseTimeoutMS),
    ttlMS: write.config.ttlMS,
  });
  switch (claim.kind) {
    case 'replay':
      return replay(ctx, claim.response);
    case 'in-flight':
      throw new Conflict({ error: IN_FLIGHT_ERROR });
    case 'other-request':
      throw new HttpError(422, KEY_REUSED_ERROR);
  }
  const attempt = new RecordedAttempt(store, claim.record, claim.kind === 'takeover');
  try {
    await handler(attempt);
  } catch (thrown) {
    const { error } = toHttpError(thrown, write.meta);
    if (error.status >= 400 && error.status < 500) {
      const answer: StoredResponse = { status: error.status, headers: {}, body: JSON.stringify(error.body) };
      await settle(store.complete(claim.record, answer, write.config.ttlMS));
    } else {
      await settle(store.endLease(claim.record));
    }
    throw thrown;
  }
  await settle(store.complete(claim.record, responseOf(ctx), write.config.ttlMS));
}

function leaseFor(databaseTimeoutMS: number): number {
  return databaseTimeoutMS > 0 && Number.isFinite(databaseTimeoutMS) ? LEASE_IN_DEADLINES * databaseTimeoutMS : LEASE_WITHOUT_DEADLINE_MS;
}

/**
 * Updates the record after the write; a failure here changes nothing the client is told (the write's own
 * answer stands): the record keeps its lease, and a retry after it takes over and finds the write landed.
 */
async function settle(update: Promise<void>): Promise<void> {
  try {
    await update;
  } catch {
    // Deliberately ignored, see above.
  }
}

function responseOf(ctx: RequestContext): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of replayedHeaders) {
    const value: unknown = ctx.response.get(name);
    if (typeof value === 'string' && value !== '') headers[name] = value;
  }
  return { status: ctx.status, headers, body: ctx.body == null ? null : JSON.stringify(ctx.body) };
}

function replay(ctx: RequestContext, response: StoredResponse): void {
  ctx.status = response.status;
  for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value);
  ctx.set('Idempotent-Replayed', 'true');
  if (response.body !== null) ctx.body = JSON.parse(response.body) as unknown;
}
