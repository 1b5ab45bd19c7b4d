/**
 * Type guards shared across modules. Mongoose values are recognised by shape, never by `instanceof`: they
 * come from the app's Mongoose (and BSON), which need not be the copy this package would import.
 */
import type mongoose from 'mongoose';
import type { AnyDocument, AnyModel, PlainDocument } from './types.js';

/** An object literal (or `Object.create(null)`), as opposed to arrays and class instances (ObjectId, Date…). */
export function isPlainObject(value: unknown): value is PlainDocument {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A Mongoose model (a constructor with a schema and the query statics). */
export function isModel(value: unknown): value is AnyModel {
  return typeof value === 'function' && 'schema' in value && 'modelName' in value && typeof (value as AnyModel).find === 'function';
}

/** A hydrated Mongoose document (or sub-document) of any Mongoose copy: it carries Mongoose's `$__` state. */
export function isMongooseDocument(value: unknown): value is AnyDocument {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as { $__?: unknown; toObject?: unknown };
  return doc.$__ != null && typeof doc.toObject === 'function';
}

/** Mongoose's ValidationError (`doc.validate()`, `save()`), by name and shape. */
export function isValidationError(error: unknown): error is mongoose.Error.ValidationError {
  return error instanceof Error && error.name === 'ValidationError' && typeof (error as { errors?: unknown }).errors === 'object';
}

/** Mongoose's CastError (a value that does not cast to its path's type), by name and shape. */
export function isCastError(error: unknown): error is mongoose.Error.CastError {
  return error instanceof Error && error.name === 'CastError' && typeof (error as { path?: unknown }).path === 'string';
}
