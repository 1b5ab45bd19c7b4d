/**
 * The filter key grammar of SPEC §6: `field[__not][__op]`, where `field` is the longest declared filter
 * field (dotted names spelled with `__`) that the key starts with. Pure: no schema, no database.
 */
import { BadRequest } from '../errors.js';
import type { Operator } from './operators.js';

/** A declared filter field, compiled: how keys spell it and which suffix selects which operator. */
export interface FilterField {
  /** The API name as declared (`'content.lang'`). */
  readonly name: string;
  /** How keys spell it: dots become `__` (`'content__lang'`). */
  readonly spelling: string;
  /** The internal (schema) path the conditions apply to. */
  readonly path: string;
  /** Suffix (`''`, `'exact'`, `'in'`, …) → operator. */
  readonly operators: ReadonlyMap<string, Operator>;
}

/** What a key asks for: which declared field, which operator, negated or not. */
export interface FilterKey {
  readonly field: FilterField;
  readonly operator: Operator;
  readonly negate: boolean;
}

/** The segment that negates the operator after it. */
export const negation = 'not';
const separator = '__';

/** Quotes client text for an error message, cut short so a huge key or value never bloats the answer. */
export function quote(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** `'content.lang'` → `'content__lang'`. */
export function spellingOf(name: string): string {
  return name.split('.').join(separator);
}

/**
 * The declared field `key` names (longest match wins) and the segments after it, or `undefined` when the
 * key names no declared filter. `fields` must be sorted longest spelling first.
 */
export function matchField(key: string, fields: readonly FilterField[]): { field: FilterField; rest: string[] } | undefined {
  for (const field of fields) {
    if (key === field.spelling) return { field, rest: [] };
    if (key.startsWith(field.spelling + separator)) {
      return { field, rest: key.slice(field.spelling.length + separator.length).split(separator) };
    }
  }
  return undefined;
}

function accepted(field: FilterField): string {
  return [...field.operators.keys()].map((suffix) => (suffix === '' ? '(no suffix)' : suffix)).join(', ');
}

/**
 * The operator and negation selected by the segments after the field: `[]`, `[op]`, `[not]` or
 * `[not, op]`. Anything else → 400 naming the field and the offending segment; a negation the operator
 * does not allow → 400.
 */
export function resolveKey(key: string, field: FilterField, rest: readonly string[]): FilterKey {
  const negate = rest[0] === negation;
  const segments = negate ? rest.slice(1) : rest;
  const operator = segments.length === 0 ? field.operators.get('') : operatorFor(field, segments[0]!);
  if (segments.length > 1 || !operator) {
    if (segments.length === 0) {
      throw new BadRequest(`Invalid filter ${quote(key)}: field ${quote(field.name)} needs an operator suffix (one of: ${accepted(field)}).`);
    }
    throw unknownSegment(key, field, operator ? segments[1]! : segments[0]!);
  }
  if (negate && !operator.allowNegation) {
    throw new BadRequest(
      `Invalid filter ${quote(key)}: operator ${quote(operator.op || 'exact')} of field ${quote(field.name)} cannot be negated.`,
    );
  }
  return { field, operator, negate };
}

/** The operator an explicit suffix segment selects (never the bare-field operator: `title__` is no key). */
function operatorFor(field: FilterField, segment: string): Operator | undefined {
  return segment === '' || segment === negation ? undefined : field.operators.get(segment);
}

function unknownSegment(key: string, field: FilterField, segment: string): BadRequest {
  return new BadRequest(
    `Invalid filter ${quote(key)}: ${quote(segment)} is not an operator of field ${quote(field.name)} (use one of: ${accepted(field)}).`,
  );
}
