/**
 * Filter keys (`field[__not][__op]=value`, SPEC §6) → a MongoDB filter built only from the declared
 * allow-list: every field path and operator object comes from the resource's declaration, every value
 * from a strict cast of the client's text. As a second layer the finished filter goes through
 * `mongoose.sanitizeFilter`, where only the operators' own (`mongoose.trusted`) objects pass.
 */
import mongoose, { type Schema } from 'mongoose';
import { BadRequest } from '../errors.js';
import type { QueryValues } from '../types.js';
import { compileFilters, type CompiledFilters } from './filter-compile.js';
import { matchField, quote, resolveKey } from './filter-keys.js';
import { parseFilterValue } from './filter-values.js';
import type { Operator, OperatorSpec } from './operators.js';
import { reservedParams } from './params.js';

export { compileFilters, type CompiledFilters } from './filter-compile.js';

/** What filters are built for: a resource's schema, its declared filters and its renames. */
export interface FilterTarget {
  /** The resource's schema: values are cast by the type of the path they filter. */
  schema: Schema;
  /** As declared on the Resource: API field name (dotted for sub-document paths) → operators. */
  filters: Readonly<Record<string, readonly OperatorSpec[]>>;
  /** Translates an API path to the internal (schema) path; renames apply to the first segment. */
  toInternalPath(apiPath: string): string;
}

/** How `buildFilter` treats keys that name no declared filter. */
export interface FilterOptions {
  /** Bulk writes: a key that names no declared filter is an error instead of being ignored. */
  strict: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A custom operator that builds `{ field: { $op: … } }` without `mongoose.trusted` would be silently
 * neutralized by `sanitizeFilter` (turned into an equality); fail loudly instead, pointing at the fix.
 */
function assertTrusted(fragment: unknown, operator: Operator): Record<string, unknown> {
  const name = operator.constructor.name;
  if (!isRecord(fragment)) throw new TypeError(`${name}.prepareQuery must return a filter object.`);
  for (const [key, value] of Object.entries(fragment)) {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      for (const item of value) assertTrusted(item, operator);
      continue;
    }
    const probe: Record<string, unknown> = { [key]: value };
    mongoose.sanitizeFilter(probe);
    if (probe[key] !== value) {
      throw new TypeError(
        `${name}.prepareQuery built an operator object for ${JSON.stringify(key)} without mongoose.trusted(): use this.condition(field, {...}).`,
      );
    }
  }
  return fragment;
}

const compiled = new WeakMap<FilterTarget, CompiledFilters>();

/** The filter table of `target`, compiled once per target object (not on every request). */
export function compiledFiltersOf(target: FilterTarget): CompiledFilters {
  let table = compiled.get(target);
  if (!table) {
    table = compileFilters(target);
    compiled.set(target, table);
  }
  return table;
}

/**
 * The MongoDB filter for the request's filter keys (reserved `_…` parameters are skipped), `{}` when none
 * applies. Keys naming no declared filter are ignored, or a 400 when `strict` (bulk writes). Malformed
 * keys and values are a 400 (`BadRequest`), decided before the database is touched.
 */
export function buildFilter(query: QueryValues, target: FilterTarget, options: FilterOptions): Record<string, unknown> {
  const { fields } = compiledFiltersOf(target);
  const clauses: Record<string, unknown>[] = [];
  for (const key of Object.keys(query)) {
    if (reservedParams.has(key)) continue;
    const match = matchField(key, fields);
    if (!match) {
      if (options.strict) throw new BadRequest(`Unknown filter ${quote(key)}.`);
      continue;
    }
    const selected = resolveKey(key, match.field, match.rest);
    const value = parseFilterValue(key, query[key], selected, target.schema);
    const fragment = selected.operator.prepareQuery(selected.field.path, value, selected.negate);
    clauses.push(assertTrusted(fragment, selected.operator));
  }
  if (clauses.length === 0) return {};
  return mongoose.sanitizeFilter({ $and: clauses });
}
