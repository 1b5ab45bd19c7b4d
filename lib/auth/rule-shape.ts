/**
 * What the library knows about the structure of a permission rule built with `scope()`, `any()` and
 * `all()` — rules are plain functions, so the structure is kept beside them — and what follows from it:
 * the sets of scopes that let a caller through, for the OpenAPI document.
 */
import type { PermissionRule } from './roles.js';

/** The structure of a rule made by the library's rule builders. */
export type RuleShape =
  | { readonly kind: 'scope'; readonly names: readonly string[] }
  | { readonly kind: 'any' | 'all'; readonly rules: readonly PermissionRule[] };

const shapes = new WeakMap<PermissionRule, RuleShape>();

/**
 * Records the structure of a rule a builder made.
 *
 * @internal
 * @example
 * ```ts
 * const rule: PermissionRule = (ctx) => hasScope(ctx, names);
 * describeRule(rule, { kind: 'scope', names });
 * ```
 */
export function describeRule(rule: PermissionRule, shape: RuleShape): PermissionRule {
  shapes.set(rule, shape);
  return rule;
}

/** Alternatives listed beyond this many are not spelled out (the document then names no scopes). */
const MAX_ALTERNATIVES = 16;

/**
 * The sets of scopes any one of which (together with whatever else the rule asks) lets a caller
 * through: `scope('a', 'b')` → `[['a'], ['b']]`, `all(scope('a'), scope('b'))` → `[['a', 'b']]`, a rule
 * that asks for no scope → `[[]]`. `undefined` when the rule names no scope at all, or the alternatives
 * are too many to list.
 *
 * @internal
 * @example
 * ```ts
 * scopeAlternatives(any(role('admin'), scope('posts:write'))); // [[], ['posts:write']]
 * ```
 */
export function scopeAlternatives(rule: PermissionRule): string[][] | undefined {
  const alternatives = expand(rule);
  if (alternatives === undefined || alternatives.every((set) => set.length === 0)) return undefined;
  return alternatives;
}

function expand(rule: PermissionRule): string[][] | undefined {
  const shape = shapes.get(rule);
  if (shape === undefined) return [[]];
  if (shape.kind === 'scope') return shape.names.map((name) => [name]);
  const parts: string[][][] = [];
  for (const part of shape.rules) {
    const expanded = expand(part);
    if (expanded === undefined) return undefined;
    parts.push(expanded);
  }
  let result: string[][];
  if (shape.kind === 'any') result = parts.flat();
  else {
    result = [[]];
    for (const part of parts) {
      result = result.flatMap((set) => part.map((other) => [...set, ...other]));
      if (result.length > MAX_ALTERNATIVES) return undefined;
    }
  }
  const unique = new Map<string, string[]>();
  for (const set of result) {
    const sorted = [...new Set(set)].sort();
    unique.set(sorted.join(' '), sorted);
  }
  return unique.size > MAX_ALTERNATIVES ? undefined : [...unique.values()];
}
