/**
 * Any error thrown while serving a request → the HttpError to answer with: Mongoose validation → 400
 * `field-errors` keyed by API path, duplicate key → 409, database gone → 503, the rest → 500.
 */
import mongoose from 'mongoose';
import { BadRequest, Conflict, HttpError, InternalServerError, ServiceUnavailable } from '../errors.js';
import type { ResourceMeta } from '../resource-meta.js';
import { isDatabaseUnavailable } from './database.js';
import { isDuplicateKeyError } from '../write/duplicates.js';

/** `emails.1` stays `emails.1`; a renamed first segment takes its API name (`author.x` → `author_id.x`). */
export function apiPath(meta: ResourceMeta | undefined, path: string): string {
  if (!meta) return path;
  const [head, ...rest] = path.split('.');
  const api = meta.apiNames.get(head!) ?? head!;
  return [api, ...rest].join('.');
}

export interface ErrorMapping {
  error: HttpError;
  /** True when the error is not the client's doing and should be logged. */
  unexpected: boolean;
}

export function toHttpError(error: unknown, meta?: ResourceMeta): ErrorMapping {
  if (error instanceof HttpError) return { error, unexpected: false };
  if (error instanceof mongoose.Error.ValidationError) {
    const fieldErrors: Record<string, string> = {};
    for (const [path, detail] of Object.entries(error.errors)) fieldErrors[apiPath(meta, path)] = detail.message;
    return { error: new BadRequest({ 'field-errors': fieldErrors }), unexpected: false };
  }
  if (error instanceof mongoose.Error.CastError) {
    return { error: new BadRequest({ 'field-errors': { [apiPath(meta, error.path)]: error.message } }), unexpected: false };
  }
  if (isDuplicateKeyError(error)) {
    // Saves name the field (Resource.saveDocument); this is for writes an app makes some other way.
    return { error: new Conflict({ error: 'A document with the same unique value already exists.', 'field-errors': {} }), unexpected: false };
  }
  if (isDatabaseUnavailable(error)) return { error: new ServiceUnavailable(1), unexpected: false };
  return { error: new InternalServerError(), unexpected: true };
}

