/**
 * A stored document's version, shared by everything that must know whether a document changed: ETags and
 * If-Match (lib/versioning/conditional.ts), idempotent retries. The version is the schema's version key
 * (`__v` unless renamed): every write of an existing document through the library increments it when it
 * changes something, and a write can be made conditional on it — the update filter then carries the
 * version, so a change that lands between a check and the save makes the save match nothing (never a
 * lost update). Schemas built with `versionKey: false` have no version.
 */
import { isMongooseDocument } from '../guards.js';
import type { AnyDocument, AnyModel, PlainDocument } from '../types.js';

/** A stored version: the version key's value, or `null` for a document stored without one. */
export type Version = number | null;

/** The version key of `model`'s schema (`__v` by default), or `undefined` when it has none. */
export function versionKeyOf(model: AnyModel): string | undefined {
  const key: unknown = model.schema.get('versionKey');
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/**
 * The version of a stored document (a Mongoose document or a lean one that loaded the version key);
 * `undefined` when the model has no version key.
 */
export function versionOf(model: AnyModel, doc: AnyDocument | PlainDocument): Version | undefined {
  const key = versionKeyOf(model);
  if (key === undefined) return undefined;
  const value: unknown = isMongooseDocument(doc) ? doc.get(key) : (doc as PlainDocument)[key];
  return typeof value === 'number' ? value : null;
}

/** Documents whose next write must find the stored version unchanged, with the version expected. */
const expected = new WeakMap<AnyDocument, Version>();

/**
 * Makes the next `save()`/`deleteOne()` of `doc` conditional: its filter requires the stored version to
 * be `version` (a missing version key for `null`). When it has moved on, the save throws Mongoose's
 * VersionError / DocumentNotFoundError and a `deleteOne` deletes nothing; `isGuarded` then tells why.
 */
export function expectVersion(doc: AnyDocument, version: Version): void {
  const key = versionKeyOf(doc.constructor as AnyModel);
  if (key === undefined) return;
  const where = (doc.$where ?? {}) as Record<string, unknown>;
  doc.$where = { ...where, [key]: version ?? { $exists: false } };
  expected.set(doc, version);
}

/** Whether `expectVersion` made `doc`'s writes conditional. */
export function isGuarded(doc: AnyDocument): boolean {
  return expected.has(doc);
}

/** Mongoose's flag for "increment the version key on this save" (Document.VERSION_INC, stable since 3.x). */
const VERSION_INC = 2;

/**
 * Makes the next `save()` of an existing, changed `doc` increment its version (with `$inc`, atomically),
 * without adding the version to the filter — that is `expectVersion`'s job. A save that changes nothing
 * writes nothing and keeps the version.
 */
export function bumpVersion(doc: AnyDocument): void {
  if (doc.isNew || !doc.isModified() || versionKeyOf(doc.constructor as AnyModel) === undefined) return;
  // Mongoose increments the version on its own only for some array changes (or with
  // `optimisticConcurrency`); the library wants every change to move it. There is no public API for
  // "increment without the version in the filter", hence the internal flag.
  const state = (doc as unknown as { $__: { version?: number } }).$__;
  state.version = (state.version ?? 0) | VERSION_INC;
}

/** True for the errors Mongoose throws when a save's filter matched no document (by name: any Mongoose copy). */
export function isStaleSave(error: unknown): boolean {
  return error instanceof Error && (error.name === 'VersionError' || error.name === 'DocumentNotFoundError');
}
