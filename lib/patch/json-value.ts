/**
 * The JSON values a patch works on: deep equality (for `test`, and to find the fields a patch changed)
 * and deep copies, both bounded in depth so hostile nesting cannot overflow the stack.
 */
import { isPlainObject } from '../guards.js';
import { MAX_BODY_DEPTH } from '../write/body.js';

/** Objects are compared by their keys (order ignored), arrays element by element, numbers by value. */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_BODY_DEPTH * 2) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index], depth + 1));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key], depth + 1));
  }
  return false;
}

/** A deep copy of a JSON value (plain objects and arrays; everything else is a leaf). */
export function jsonClone<T>(value: T, depth = 0): T {
  if (depth > MAX_BODY_DEPTH * 2) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => jsonClone(item, depth + 1)) as T;
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = jsonClone(item, depth + 1);
    return copy as T;
  }
  return value;
}
