/**
 * Numbers must be finite. Mongoose casts the strings "Infinity" and "NaN"-like values for Number paths;
 * MongoDB would store ±Infinity while FerretDB refuses it (500 there). Refusing them before the write
 * gives every server the same 400.
 */
import { BadRequest } from '../errors.js';
import { apiPath } from '../http/field-errors.js';
import type { ResourceMeta } from '../resource-meta.js';
import type { Schema } from 'mongoose';
import type { AnyDocument } from '../types.js';

const MAX_DEPTH = 64;

function collect(value: unknown, path: string, depth: number, found: string[]): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push(path);
    return;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return;
  const isPlain = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype;
  if (!isPlain) return; // Date, ObjectId, Decimal128, Buffer…
  for (const [key, item] of Object.entries(value)) collect(item, path ? `${path}.${key}` : key, depth + 1, found);
}

/** Schema types whose cast values are never numbers (a value that does not cast fails validation first). */
const numberFreeTypes = new Set(['String', 'ObjectId', 'Date', 'Boolean', 'Buffer', 'UUID', 'BigInt', 'Decimal128']);

interface SchemaTypeLike {
  instance?: string;
  embeddedSchemaType?: SchemaTypeLike;
  /** Mongoose 8's name for `embeddedSchemaType`. */
  $embeddedSchemaType?: SchemaTypeLike;
}

const numberFreePaths = new WeakMap<Schema, Map<string, boolean>>();

/**
 * Whether the schema path can only hold values that are not numbers (strings, ids, dates…, or arrays of
 * them): then nothing there needs walking. Cached per schema and path.
 */
function holdsNoNumber(schema: Schema, path: string): boolean {
  let paths = numberFreePaths.get(schema);
  if (!paths) {
    paths = new Map();
    numberFreePaths.set(schema, paths);
  }
  let answer = paths.get(path);
  if (answer === undefined) {
    const type = schema.path(path) as unknown as SchemaTypeLike | undefined;
    const element = type?.instance === 'Array' ? (type.embeddedSchemaType ?? type.$embeddedSchemaType) : type;
    answer = element?.instance !== undefined && numberFreeTypes.has(element.instance);
    paths.set(path, answer);
  }
  return answer;
}

export const NON_FINITE_MESSAGE = 'Must be a finite number.';

/**
 * The paths (internal names) of `doc` that hold a non-finite number. Only the paths this write changed
 * are looked at: stored values were checked when they were written.
 */
export function nonFinitePaths(doc: AnyDocument): string[] {
  const found: string[] = [];
  for (const path of doc.directModifiedPaths()) {
    if (holdsNoNumber(doc.schema, path)) continue;
    const value: unknown = doc.get(path);
    const plain = value !== null && typeof value === 'object' && 'toObject' in value ? (value as { toObject(): unknown }).toObject() : value;
    collect(plain, path, 0, found);
  }
  return found;
}

/** Throws 400 `field-errors` naming every path (API names) of `doc` that holds a non-finite number. */
export function assertFiniteNumbers(doc: AnyDocument, meta: ResourceMeta): void {
  const found = nonFinitePaths(doc);
  if (found.length === 0) return;
  const fieldErrors: Record<string, string> = {};
  for (const path of found) fieldErrors[apiPath(meta, path)] = NON_FINITE_MESSAGE;
  throw new BadRequest({ 'field-errors': fieldErrors });
}
