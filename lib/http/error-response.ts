/**
 * Any error thrown while serving a request → the HttpError to answer with: Mongoose validation → 400
 * `field-errors` keyed by API path, duplicate key → 409, a save that lost a race → 409/404 (the
 * version moved / the document is gone), database gone → 503, the rest → 500. `settledError` adjusts
 * that to what the request's writes allow it to say (below).
 */
import { BadRequest, Conflict, GatewayTimeout, HttpError, InternalServerError, NotFound, ServiceUnavailable } from '../errors.js';
import { changedMeanwhile, isDocumentNotFoundError, isVersionError } from '../write/concurrency.js';
import type { ResourceMeta } from '../resource-meta.js';
import type { RequestContext } from '../types.js';
import { isCastError, isValidationError } from '../guards.js';
import { isDatabaseUnavailable } from './database.js';
import { apiPath, fieldErrorsOf, messageOf } from './field-errors.js';
import { isDuplicateKeyError } from '../write/duplicates.js';

export interface ErrorMapping {
  error: HttpError;
  /** True when the error is not the client's doing and should be logged. */
  unexpected: boolean;
}

export function toHttpError(error: unknown, meta?: ResourceMeta): ErrorMapping {
  if (error instanceof HttpError) return { error, unexpected: false };
  if (isValidationError(error)) {
    return { error: new BadRequest({ 'field-errors': fieldErrorsOf(error, meta) }), unexpected: false };
  }
  if (isCastError(error)) {
    const api = apiPath(meta, error.path);
    return { error: new BadRequest({ 'field-errors': { [api]: messageOf(error, error.path, api) } }), unexpected: false };
  }
  if (isDuplicateKeyError(error)) {
    // Saves name the field (Resource.saveDocument); this is for writes an app makes some other way.
    return { error: new Conflict({ error: 'A document with the same unique value already exists.', 'field-errors': {} }), unexpected: false };
  }
  if (isVersionError(error)) return { error: changedMeanwhile(), unexpected: false };
  if (isDocumentNotFoundError(error)) return { error: new NotFound(), unexpected: false };
  if (isDatabaseUnavailable(error)) return { error: new ServiceUnavailable(1), unexpected: false };
  return { error: new InternalServerError(), unexpected: true };
}

/**
 * The answer to a request that failed, once its writes are settled (`writeSent`: whether any may have
 * reached the server, from the request deadline's `freeze`):
 *  - a value the server cannot hold, refused while nothing was written, is the client's to change → 400
 *    (FerretDB over PostgreSQL can neither store nor search for a NUL character in a string, where MongoDB
 *    can: `?title=%00` on a list). After a write, what was written is unknown, so it stays a 500;
 *  - "unavailable, retry" (503) once a write may have been sent would be a lie (a retry could apply it
 *    twice): 504, the outcome unknown;
 *  - otherwise `toHttpError`.
 */
export function settledError(error: unknown, meta: ResourceMeta | undefined, writeSent: boolean): ErrorMapping {
  if (!writeSent && isUnrepresentableText(error)) {
    return { error: new BadRequest('The database cannot store or search for a NUL character (\\u0000) in a string.'), unexpected: false };
  }
  const mapped = toHttpError(error, meta);
  if (mapped.error.status === 503 && writeSent) return { error: new GatewayTimeout(), unexpected: mapped.unexpected };
  return mapped;
}

/**
 * What a failed request is answered with (`settledError`), an unexpected error first reported to the
 * MongoRest's `onError`: the one rule for every failure, a JSON answer's or a started stream's last line.
 */
export function failureAnswer(
  thrown: unknown,
  meta: ResourceMeta | undefined,
  writeSent: boolean,
  onError: (error: unknown, ctx: RequestContext) => void,
  ctx: RequestContext,
): HttpError {
  const { error, unexpected } = settledError(thrown, meta, writeSent);
  if (unexpected) onError(thrown, ctx);
  return error;
}

/** FerretDB over PostgreSQL refusing a string with NUL (PostgreSQL's jsonb has none): code 1, SQLSTATE 22P05. */
function isUnrepresentableText(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 1 && typeof message === 'string' && /unsupported Unicode escape sequence \(SQLSTATE 22P05\)/.test(message);
}
