/**
 * Filter keys (`field[__path][__not][__op]=value`) → a MongoDB filter built only from the declared
 * allow-list. (Minimal core: exact matches; the full grammar of SPEC §6 lives here too.)
 */
import type { Schema } from 'mongoose';
import { BadRequest } from '../errors.js';
import type { QueryValues } from '../types.js';
import { Exact, Operator, type OperatorSpec } from './operators.js';
import { firstValue, reservedParams } from './params.js';

export interface FilterTarget {
  /** The resource's schema: values are cast by the type of the path they filter. */
  schema: Schema;
  /** As declared on the Resource: API field name (dotted for sub-document paths) → operators. */
  filters: Readonly<Record<string, readonly OperatorSpec[]>>;
  /** Translates an API path to the internal (schema) path; renames apply to the first segment. */
  toInternalPath(apiPath: string): string;
}

export interface FilterOptions {
  /** Bulk writes: a key that names no declared filter is an error instead of being ignored. */
  strict: boolean;
}

export function buildFilter(query: QueryValues, target: FilterTarget, options: FilterOptions): Record<string, unknown> {
  const clauses: Record<string, unknown>[] = [];
  for (const key of Object.keys(query)) {
    if (reservedParams.has(key)) continue;
    const specs = Object.hasOwn(target.filters, key) ? target.filters[key] : undefined;
    if (!specs) {
      if (options.strict) throw new BadRequest(`Unknown filter ${JSON.stringify(key)}.`);
      continue;
    }
    const operator = specs.map((spec) => (spec instanceof Operator ? spec : new spec())).find((op) => op.op === '');
    if (!operator) throw new BadRequest(`Filter ${JSON.stringify(key)} needs an operator suffix.`);
    const path = target.toInternalPath(key);
    const raw = firstValue(query[key]) ?? '';
    clauses.push(operator.prepareQuery(path, castValue(target.schema, path, key, raw), false));
  }
  return clauses.length === 0 ? {} : { $and: clauses };
}

function castValue(schema: Schema, path: string, key: string, raw: string): unknown {
  const type = schema.path(path);
  if (!type) return raw;
  try {
    return (type as unknown as { cast(value: unknown): unknown }).cast(raw);
  } catch {
    throw new BadRequest(`Invalid value for filter ${JSON.stringify(key)}.`);
  }
}

export { Exact };
