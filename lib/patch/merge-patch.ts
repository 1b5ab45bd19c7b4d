/**
 * RFC 7396 JSON Merge Patch: objects merge recursively, `null` removes a key, anything else (arrays
 * included) replaces. Pure: the target is not modified.
 */
import { isPlainObject } from '../guards.js';
import { jsonClone } from './json-value.js';

/**
 * The result of applying `patch` to `target` (RFC 7396 §2, `MergePatch(Target, Patch)`).
 *
 * @example
 * ```ts
 * mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }); // { a: 'z', c: { d: 'e' } }
 * ```
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return jsonClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? jsonClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value);
  }
  return result;
}
