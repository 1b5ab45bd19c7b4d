/** Type guards shared across modules. */
import type { AnyModel, PlainDocument } from './types.js';

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
