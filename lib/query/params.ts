/**
 * The reserved query parameters (`_skip`, `_limit`, `_fields`, `_order_by`, `_count`, `_after`) turned into a typed
 * plan. Pure functions: no database, no Koa — testable on their own.
 */
import { BadRequest } from '../errors.js';
import type { QueryValues } from '../types.js';

export const reservedParams: ReadonlySet<string> = new Set(['_skip', '_limit', '_fields', '_order_by', '_count', '_after']);

export interface PageSettings {
  paginate: boolean;
  defaultLimit: number;
  maxLimit: number;
}

export interface PagePlan {
  skip: number;
  /** Documents to return; 0 is legal and must never reach MongoDB as `limit(0)` (which means "all"). */
  limit: number;
}

export interface SortKey {
  /** Internal (schema) field name. */
  field: string;
  direction: 1 | -1;
}

/** First value of a possibly repeated key: only the first counts for reserved parameters. */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Digits with an optional minus: no `+`, spaces, exponents, hex, separators or non-ASCII digits. */
const decimalInteger = /^-?[0-9]+$/;

/** A strict decimal integer (possibly beyond the safe range: callers bound it), else 400. */
function parseInteger(name: string, raw: string): number {
  if (!decimalInteger.test(raw)) throw new BadRequest(`${name} must be an integer (got ${JSON.stringify(raw)} instead).`);
  const value = Number(raw);
  return value === 0 ? 0 : value; // no -0
}

export function parsePage(query: QueryValues, settings: PageSettings): PagePlan | undefined {
  if (!settings.paginate) return undefined;
  const rawSkip = firstValue(query._skip);
  const rawLimit = firstValue(query._limit);
  let skip = 0;
  if (rawSkip !== undefined) {
    skip = parseInteger('_skip', rawSkip);
    if (skip < 0) throw new BadRequest(`_skip must be a non-negative integer (got ${JSON.stringify(rawSkip)} instead).`);
    if (!Number.isSafeInteger(skip)) throw new BadRequest(`_skip is too large (got ${JSON.stringify(rawSkip)} instead).`);
  }
  let limit = Math.min(settings.defaultLimit, settings.maxLimit);
  if (rawLimit !== undefined) {
    limit = parseInteger('_limit', rawLimit);
    if (limit < 0) throw new BadRequest(`_limit must be a non-negative integer (got ${JSON.stringify(rawLimit)} instead).`);
    // Also catches values beyond the safe integer range (maxLimit is a safe integer).
    if (limit > settings.maxLimit) {
      throw new BadRequest(
        `The limit you set is larger than the maximum limit for this resource (max_limit = ${settings.maxLimit}).`,
      );
    }
  }
  return { skip, limit };
}

/** `_count=1` or `_count=true`. */
export function wantsCount(query: QueryValues): boolean {
  const raw = firstValue(query._count);
  return raw === '1' || raw === 'true';
}

/** Splits a comma-separated list parameter, dropping empty parts. */
export function splitList(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * `_order_by=a,-b` → sort keys. `allowed` maps API names that may be used to internal names.
 * A name that is not allowed → 400 naming it.
 */
export function parseOrdering(query: QueryValues, allowed: ReadonlyMap<string, string>): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of splitList(firstValue(query._order_by))) {
    const descending = part.startsWith('-');
    const name = descending ? part.slice(1) : part;
    const field = allowed.get(name);
    if (field === undefined) {
      throw new BadRequest(`Ordering by ${JSON.stringify(name)} is not allowed.`);
    }
    keys.push({ field, direction: descending ? -1 : 1 });
  }
  return keys;
}
