/**
 * Request bodies: JSON only (415 otherwise), UTF-8 only (415 for another declared charset, 400 for bytes
 * or `\ud800`-style escapes that are not Unicode), bounded in size (413) and depth (400), with numbers
 * that would lose precision refused (400 `field-errors`), keys that MongoDB or BSON would misread refused
 * (400 naming the path) and prototype-pollution keys removed. A body the app parsed earlier is reused.
 */
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import { promiseOf } from '../maybe-promise.js';
import type { RequestContext } from '../types.js';
import { inexactNumbers } from './json-numbers.js';
import { INVALID_JSON, assertUtf8Charset, readJsonText, type JsonText } from './raw-json.js';

export { INVALID_JSON } from './raw-json.js';
export const NOT_AN_OBJECT = 'JSON data must be an object.';
/** Content types read as JSON. */
export const jsonTypes = ['application/json', 'application/*+json'];
/** Deeper bodies are refused before anything walks them recursively (Mongoose casting included). */
export const MAX_BODY_DEPTH = 32;

export interface BodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
}

/** Whether the request carries a body at all (a length or a chunked transfer). */
export function hasBody(ctx: RequestContext): boolean {
  const { headers } = ctx.req;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** The Content-Length of an uncompressed body (compressed bodies are measured as they inflate). */
function declaredLength(ctx: RequestContext): number {
  const encoding = ctx.get('Content-Encoding').toLowerCase();
  return encoding === '' || encoding === 'identity' ? Number(ctx.get('Content-Length')) || 0 : 0;
}

/**
 * Reads the body as JSON and returns it sanitized (any JSON value; see `readJsonObject`). A body the app
 * already read (its own body parser consumed the stream) is reused — then the checks that need the raw
 * bytes (UTF-8, number precision) were up to that parser; while the stream is unread, whatever
 * `ctx.request.body` holds is a parser's placeholder (koa-bodyparser sets `{}` for types it skips).
 */
export function readJsonBody(ctx: RequestContext, options: BodyOptions): Promise<unknown> {
  // One promise for the read (no async layers around it: each would add a promise and a turn of the microtask queue).
  return promiseOf(() => {
    if (!hasBody(ctx)) throw new BadRequest(INVALID_JSON);
    if (!ctx.is(jsonTypes)) throw new UnsupportedMediaType();
    assertUtf8Charset(ctx);
    if (declaredLength(ctx) > options.limit) throw new PayloadTooLarge(options.limit);
    if (ctx.req.readableEnded) {
      const parsed: unknown = ctx.request.body;
      if (parsed === '' || parsed === undefined) throw new BadRequest(INVALID_JSON);
      return sanitize(parsed, undefined, 0);
    }
    return readJsonText(ctx, options.limit).then((read) => acceptJson(ctx, read));
  });
}

/** The body read from the stream, sanitized and its numbers checked, kept as `ctx.request.body`. */
function acceptJson(ctx: RequestContext, read: JsonText | undefined): unknown {
  if (read === undefined) throw new BadRequest(INVALID_JSON);
  const body = sanitize(read.value, undefined, 0);
  const inexact = inexactNumbers(read.text);
  for (const path of Object.keys(inexact)) {
    // The body itself (a bare number) is refused as not an object; dropped keys do not count.
    if (path === '' || path.split('.').some((key) => forbiddenKeys.has(key))) delete inexact[path];
  }
  if (Object.keys(inexact).length > 0) throw new BadRequest({ 'field-errors': inexact });
  ctx.request.body = body;
  return body;
}

/** Reads the body and requires a JSON object. */
export function readJsonObject(ctx: RequestContext, options: BodyOptions): Promise<Record<string, unknown>> {
  return readJsonBody(ctx, options).then(requireObject);
}

function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(NOT_AN_OBJECT);
  return body as Record<string, unknown>;
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** Where a value sits in the body, built only when an error names it: `meta.list.0`. */
interface BodyPath {
  parent: BodyPath | undefined;
  key: string;
}

/** ` in "meta.list.0"`, or nothing at the top of the body. */
function describePath(path: BodyPath | undefined): string {
  const keys: string[] = [];
  for (let at = path; at; at = at.parent) keys.unshift(at.key);
  return keys.length === 0 ? '' : ` in ${JSON.stringify(keys.join('.'))}`;
}

/** Strings holding a lone UTF-16 surrogate (`"\ud800"` escapes): not Unicode text, not storable as such. */
const loneSurrogate = /\p{Cs}/u;

/** Why `key` may not be stored, or `undefined`. MongoDB reads dots as paths; BSON keys end at NUL. */
function keyProblem(key: string): string | undefined {
  if (key.startsWith('$')) return 'keys may not start with "$"';
  if (key.includes('.')) return 'keys may not contain "."';
  if (key.includes('\u0000')) return 'keys may not contain NUL characters';
  // The BSON serializer takes any object with `_bsontype` for a BSON value (Code, ObjectId…).
  if (key === '_bsontype') return '"_bsontype" is reserved';
  if (loneSurrogate.test(key)) return 'keys must be valid Unicode (no lone surrogates)';
  return undefined;
}

/**
 * A copy without prototype-pollution keys; keys MongoDB or BSON would misread (`$` first, `.` or NUL
 * anywhere, `_bsontype`), strings with lone surrogates and non-finite numbers are refused (400 naming
 * the path). Recursion is bounded by MAX_BODY_DEPTH, so hostile nesting cannot overflow the stack.
 */
function sanitize(value: unknown, path: BodyPath | undefined, depth: number): unknown {
  // `1e400` is valid JSON syntax but parses to Infinity, which SPEC §5 refuses like `Infinity` itself.
  if (typeof value === 'number' && !Number.isFinite(value)) throw new BadRequest(INVALID_JSON);
  if (typeof value === 'string' && loneSurrogate.test(value)) {
    throw new BadRequest(`Invalid string${describePath(path)}: strings must be valid Unicode (no lone surrogates such as \\ud800).`);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_BODY_DEPTH) throw new BadRequest(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
  if (Array.isArray(value)) return value.map((item, index) => sanitize(item, { parent: path, key: String(index) }, depth + 1));
  const clean: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (forbiddenKeys.has(key)) continue;
    const problem = keyProblem(key);
    // `$` keys keep their original message (no path), the others name where they are.
    if (problem !== undefined && key.startsWith('$')) throw new BadRequest(`Invalid key ${JSON.stringify(key)}: ${problem}.`);
    if (problem !== undefined) throw new BadRequest(`Invalid key ${JSON.stringify(key)}${describePath(path)}: ${problem}.`);
    clean[key] = sanitize(item, { parent: path, key }, depth + 1);
  }
  return clean;
}
