/**
 * Request bodies: JSON only (415 otherwise), bounded in size (413) and depth (400), parsed by
 * koa-bodyparser, with prototype-pollution keys removed. A body the app parsed earlier is reused.
 */
import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { BadRequest, HttpError, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import type { RequestContext } from '../types.js';

export const INVALID_JSON = 'The request contains invalid JSON.';
export const NOT_AN_OBJECT = 'JSON data must be an object.';
const jsonTypes = ['application/json', 'application/*+json'];
/** Deeper bodies are refused before anything walks them recursively (Mongoose casting included). */
export const MAX_BODY_DEPTH = 32;

export interface BodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
}

const parsers = new Map<number, Middleware>();

function parserFor(limit: number): Middleware {
  let parser = parsers.get(limit);
  if (!parser) {
    const options: bodyParser.Options & { onProtoPoisoning: 'remove' } = {
      enableTypes: ['json'],
      extendTypes: { json: ['application/*+json'] },
      jsonLimit: `${limit}b`,
      strict: false,
      // Forwarded to co-body/bourne: drop `__proto__` keys instead of failing the whole request.
      onProtoPoisoning: 'remove',
    };
    parser = bodyParser(options) as unknown as Middleware;
    parsers.set(limit, parser);
  }
  return parser;
}

function hasBody(ctx: RequestContext): boolean {
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
 * already read (its own body parser consumed the stream) is reused; while the stream is unread, whatever
 * `ctx.request.body` holds is a parser's placeholder (koa-bodyparser sets `{}` for types it skips).
 */
export async function readJsonBody(ctx: RequestContext, options: BodyOptions): Promise<unknown> {
  if (!hasBody(ctx)) throw new BadRequest(INVALID_JSON);
  if (!ctx.is(jsonTypes)) throw new UnsupportedMediaType();
  if (declaredLength(ctx) > options.limit) throw new PayloadTooLarge(options.limit);
  if (!ctx.req.readableEnded) {
    ctx.request.body = undefined;
    try {
      await parserFor(options.limit)(ctx, async () => undefined);
    } catch (error) {
      throw translateParseError(error, options.limit);
    }
  }
  const parsed: unknown = ctx.request.body;
  if (parsed === '' || parsed === undefined) throw new BadRequest(INVALID_JSON);
  return sanitize(parsed, 0);
}

/** Reads the body and requires a JSON object. */
export async function readJsonObject(ctx: RequestContext, options: BodyOptions): Promise<Record<string, unknown>> {
  const body = await readJsonBody(ctx, options);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(NOT_AN_OBJECT);
  return body as Record<string, unknown>;
}

function translateParseError(error: unknown, limit: number): HttpError {
  const status = (error as { status?: number }).status;
  if (status === 413) return new PayloadTooLarge(limit);
  if (status === 415) return new UnsupportedMediaType();
  return new BadRequest(INVALID_JSON);
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A copy without prototype-pollution keys; `$`-prefixed keys (MongoDB operators) and non-finite
 * numbers are refused.
 * Recursion is bounded by MAX_BODY_DEPTH, so hostile nesting cannot overflow the stack.
 */
function sanitize(value: unknown, depth: number): unknown {
  // `1e400` is valid JSON syntax but parses to Infinity, which SPEC §5 refuses like `Infinity` itself.
  if (typeof value === 'number' && !Number.isFinite(value)) throw new BadRequest(INVALID_JSON);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_BODY_DEPTH) throw new BadRequest(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1));
  const clean: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (forbiddenKeys.has(key)) continue;
    if (key.startsWith('$')) throw new BadRequest(`Invalid key ${JSON.stringify(key)}: keys may not start with "$".`);
    clean[key] = sanitize(item, depth + 1);
  }
  return clean;
}
