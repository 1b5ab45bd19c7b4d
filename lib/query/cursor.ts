/**
 * Cursor (keyset) pagination: `_after=<cursor>` continues a list right after the last document of the
 * previous page, on the page's ordering plus `_id`, so a deep page costs what the first one does (no
 * `skip`). Cursors are opaque (base64url), signed (HMAC-SHA256 with the API's `cursorSecret`) and bound
 * to the ordering and filters they were made for: a modified, foreign or misapplied cursor is a 400,
 * never a different query.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import mongoose from 'mongoose';
import { BadRequest } from '../errors.js';
import type { PlainDocument, QueryValues } from '../types.js';
import { firstValue, reservedParams, type SortKey } from './params.js';

const { EJSON } = mongoose.mongo.BSON;

export const INVALID_CURSOR = 'Invalid cursor.';
export const FOREIGN_CURSOR = 'This cursor was made for another ordering or other filters.';

/** A key for signing cursors: the app's `cursorSecret`, or a random one for this process. */
export function cursorKey(secret: string | undefined): Buffer {
  if (secret === undefined) return randomBytes(32);
  if (typeof secret !== 'string' || secret.length < 16) throw new TypeError('cursorSecret must be a string of at least 16 characters.');
  return Buffer.from(secret, 'utf8');
}

/** What a list request asks of cursor pagination; `undefined` when it does not use `_after`. */
export interface CursorRequest {
  /** The sort keys of the page, `_id` last. */
  keys: SortKey[];
  /** Values of `keys` in the last document of the previous page; `undefined` for the first page. */
  after?: unknown[];
  /** Digest of what the cursor is bound to (view, ordering, filters). */
  binding: string;
}

/**
 * Reads `_after` (absent → `undefined`; empty → the first page). `sort` is the parsed `_order_by`;
 * `scope` names the view (its path), so a cursor of one view is foreign to another.
 */
export function parseAfter(query: QueryValues, sort: readonly SortKey[], scope: string, key: Buffer): CursorRequest | undefined {
  const raw = firstValue(query._after);
  if (raw === undefined) return undefined;
  if (query._skip !== undefined) throw new BadRequest('_skip cannot be used with _after.');
  const keys = sort.some((sortKey) => sortKey.field === '_id') ? [...sort] : [...sort, { field: '_id', direction: 1 as const }];
  const binding = bindingOf(query, keys, scope);
  if (raw === '') return { keys, binding };
  const payload = verify(raw, key);
  if (!isPayload(payload)) throw new BadRequest(INVALID_CURSOR);
  if (payload.b !== binding || payload.v.length !== keys.length) throw new BadRequest(FOREIGN_CURSOR);
  return { keys, after: payload.v, binding };
}

interface Payload {
  b: string;
  v: unknown[];
}

function isPayload(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && typeof (value as Payload).b === 'string' && Array.isArray((value as Payload).v);
}

/** Ordering, filter parameters and view, as one digest (parameter order does not matter). */
function bindingOf(query: QueryValues, keys: readonly SortKey[], scope: string): string {
  const filters = Object.keys(query)
    .filter((name) => !reservedParams.has(name))
    .sort()
    .map((name) => [name, query[name]]);
  const text = JSON.stringify([scope, keys.map((sortKey) => [sortKey.field, sortKey.direction]), filters]);
  return createHmac('sha256', 'koa-mongorest cursor binding').update(text).digest('base64url').slice(0, 22);
}

/** The cursor that continues after `doc` (the last document of a page). */
export function encodeCursor(request: CursorRequest, doc: PlainDocument, key: Buffer): string {
  const values = request.keys.map((sortKey) => valueAt(doc, sortKey.field) ?? null);
  const body = Buffer.from(EJSON.stringify({ b: request.binding, v: values }, { relaxed: false })).toString('base64url');
  return `${body}.${sign(body, key)}`;
}

function sign(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

function verify(raw: string, key: Buffer): unknown {
  const dot = raw.indexOf('.');
  if (dot <= 0 || raw.length > 4096) throw new BadRequest(INVALID_CURSOR);
  const body = raw.slice(0, dot);
  const given = Buffer.from(raw.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(body, key), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BadRequest(INVALID_CURSOR);
  try {
    return EJSON.parse(Buffer.from(body, 'base64url').toString('utf8'), { relaxed: true });
  } catch {
    throw new BadRequest(INVALID_CURSOR);
  }
}

function valueAt(doc: PlainDocument, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * The filter of the documents after `values` in the order of `keys` (MongoDB order: `null` and missing
 * values come first ascending, last descending): for each key, "equal on the keys before it and past it
 * on this one", ORed.
 */
export function keysetFilter(keys: readonly SortKey[], values: readonly unknown[]): Record<string, unknown> {
  const branches: Record<string, unknown>[] = [];
  for (let index = 0; index < keys.length; index++) {
    const { field, direction } = keys[index]!;
    const value = values[index] ?? null;
    let past: Record<string, unknown> | undefined;
    if (direction === 1) past = value === null ? { [field]: { $ne: null } } : { [field]: { $gt: value } };
    else if (value !== null) past = { $or: [{ [field]: { $lt: value } }, { [field]: null }] };
    if (past) {
      const equal = keys.slice(0, index).map((before, at) => ({ [before.field]: values[at] ?? null }));
      branches.push(equal.length === 0 ? past : { $and: [...equal, past] });
    }
  }
  if (branches.length === 0) return { _id: { $exists: false } };
  // One branch (ordering by `_id` alone) stays a plain range, which planners push down to the index.
  return branches.length === 1 ? branches[0]! : { $or: branches };
}
