/**
 * Any error thrown while serving a request → the HttpError to answer with: Mongoose validation → 400
 * `field-errors` keyed by API path, duplicate key → 409, a save that lost a race → 409/404 (the
 * version moved / the document is gone), database gone → 503, the rest → 500.
 */
import { BadRequest, Conflict, HttpError, InternalServerError, NotFound, ServiceUnavailable } from '../errors.js';
import { changedMeanwhile, isDocumentNotFoundError, isVersionError } from '../write/concurrency.js';
import type { ResourceMeta } from '../resource-meta.js';
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

