/**
 * Writes that lost a race: the document changed or disappeared between the request loading it and
 * saving it. Mongoose reports a `VersionError` (an array changed meanwhile: the save matched no document
 * at the loaded `__v`) or a `DocumentNotFoundError` (no document with the `_id` any more). Neither is a
 * server error: the first is a 409 the client can resolve by fetching again, the second a 404
 * (Resource.saveDocument tells them apart; toHttpError maps them for writes an app makes itself).
 */
import { Conflict } from '../errors.js';

export const CHANGED_MEANWHILE = 'The document was changed by another request; fetch it and try again.';

/** The 409 of a document another request changed between this request's load and save. */
export function changedMeanwhile(): Conflict {
  return new Conflict({ error: CHANGED_MEANWHILE });
}

/** Mongoose's `VersionError`, recognised by name: the app's Mongoose copy may not be ours (guards.ts). */
export function isVersionError(error: unknown): boolean {
  return error instanceof Error && error.name === 'VersionError';
}

/** Mongoose's `DocumentNotFoundError`, recognised by name. */
export function isDocumentNotFoundError(error: unknown): boolean {
  return error instanceof Error && error.name === 'DocumentNotFoundError';
}
