/** Casting a client-supplied value to a model's `_id` type: one rule for pks, references and nested ids. */
import { isPlainObject } from '../guards.js';
import type { Schema } from 'mongoose';

interface Caster {
  cast(value: unknown): unknown;
}

/**
 * `value` cast to the `_id` type of `schema`, or `undefined` when it does not cast (plain objects,
 * arrays, malformed ids, non-finite numbers). ObjectId instances, as stored references, cast as they are.
 * A schema without `_id` takes the value as it is.
 */
export function castId(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value) || isPlainObject(value)) return undefined;
  const idType = schema.path('_id') as unknown as Caster | undefined;
  if (!idType) return value;
  try {
    const id = idType.cast(value);
    if (id === null || id === undefined || (typeof id === 'number' && !Number.isFinite(id))) return undefined;
    return id;
  } catch {
    return undefined;
  }
}

/**
 * The `_id` condition matching any of `ids`: plain equality for one id (FerretDB pushes only equality
 * down to its index; MongoDB plans both the same), `$in` for several.
 */
export function anyOfIds(ids: readonly unknown[]): unknown {
  return ids.length === 1 ? ids[0] : { $in: [...ids] };
}
