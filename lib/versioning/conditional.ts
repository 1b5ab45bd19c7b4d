/**
 * Conditional requests (RFC 9110 §13) on top of the document version (version.ts): strong ETags for
 * items, weak ETags for list pages, `If-None-Match` → 304, `If-Match` → 412 (checked here, and again
 * atomically by the write's filter), `requireIfMatch` → 428.
 */
import { hash } from 'node:crypto';
import { PreconditionFailed, PreconditionRequired } from '../errors.js';
import { JSON_TYPE } from '../http/json.js';
import type { AnyDocument, AnyModel, PlainDocument, RequestContext } from '../types.js';
import { expectVersion, versionOf, type Version } from './version.js';
import { requestState } from '../http/request-state.js';

/**
 * The strong ETag of a stored document: its id and version, so it changes whenever the document is
 * written through the library (any field, shown or not) and only then; `undefined` for models without a
 * version key. `"<id>.<version>"` when the id's text is made of `[0-9A-Za-z_-]` (an ObjectId's hex, a
 * number, a slug): the tag is then had without hashing, which cost a by-id read more than the rest of
 * its ETag handling. Other ids may hold characters an entity tag cannot (`"`, spaces, non-ASCII) and get
 * a digest of id and version instead (it has no dot, so the two forms never meet).
 */
export function itemEtag(model: AnyModel, doc: AnyDocument | PlainDocument): string | undefined {
  const version = versionOf(model, doc);
  if (version === undefined) return undefined;
  const id = String(doc._id);
  const stamp = version ?? 'none';
  return plainEtagId.test(id) ? `"${id}.${stamp}"` : `"${digest(`${id}\n${stamp}`)}"`;
}

/** Ids whose text goes into an item ETag as it is (bounded: a tag stays short). */
const plainEtagId = /^[0-9A-Za-z_-]{1,64}$/;

/** The weak ETag of a list page: a digest of its JSON text, exactly as sent. */
export function pageEtag(json: string): string {
  return `W/"${digest(json)}"`;
}

/** Marks `ctx.body` as a list page: `sendPage` gives it its weak ETag once the view's dispatch is done. */
export function deferPageEtag(ctx: RequestContext): void {
  requestState(ctx).pendingPage = true;
}

/**
 * Sends a list page stringified once: `ctx.body` becomes the JSON text its weak ETag digests (Koa would
 * stringify the page a second time), or 304 when `If-None-Match` matches. Runs after the view's
 * `dispatch`, so the ETag is that of the page as finally sent, even when an override rewrote it.
 */
export function sendPage(ctx: RequestContext): void {
  const state = requestState(ctx);
  if (!state.pendingPage) return;
  state.pendingPage = false;
  const body: unknown = ctx.body;
  // An override may have replaced the page with an error, text, a buffer or a stream: sent as it is.
  if (ctx.status !== 200 || body === null || typeof body !== 'object' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
  const json = JSON.stringify(body);
  if (answerNotModified(ctx, pageEtag(json))) return;
  ctx.type = JSON_TYPE;
  ctx.body = json;
}

/** One-shot `hash` (Node ≥ 20.12): the digest `createHash` gives, without building a Hash object per ETag. */
function digest(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 27);
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** `*`, or the entity tags of a list header (malformed members are dropped: they match nothing). */
function parseTags(header: string): '*' | EntityTag[] {
  if (header.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  for (const match of header.matchAll(/(W\/)?"([^"]*)"/g)) tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  return tags;
}

function parseTag(etag: string): EntityTag {
  return parseTags(etag)[0] as EntityTag;
}

/** `If-None-Match` (weak comparison): true when the client's copy is current and 304 is the answer. */
export function notModified(ctx: RequestContext, etag: string | undefined): boolean {
  const header = ctx.get('If-None-Match');
  if (header === '' || etag === undefined) return false;
  const tags = parseTags(header);
  if (tags === '*') return true;
  const current = parseTag(etag);
  return tags.some((tag) => tag.opaque === current.opaque);
}

/** Answers 304 (no body, the ETag kept) when `If-None-Match` matches; true when it did. */
export function answerNotModified(ctx: RequestContext, etag: string | undefined): boolean {
  if (etag !== undefined) ctx.set('ETag', etag);
  if (!notModified(ctx, etag)) return false;
  ctx.status = 304;
  return true;
}

/** `If-Match` (strong comparison): whether the document with this ETag may be written. */
function ifMatchAllows(header: string, etag: string | undefined): boolean {
  const tags = parseTags(header);
  if (tags === '*') return true;
  if (etag === undefined) return false;
  const current = parseTag(etag);
  return tags.some((tag) => !tag.weak && tag.opaque === current.opaque);
}

/** The request's `If-Match`, or `undefined` when it has none. */
export function ifMatchOf(ctx: RequestContext): string | undefined {
  const header = ctx.get('If-Match');
  return header === '' ? undefined : header;
}

/** 428 when the resource requires `If-Match` on item writes and the request has none. */
export function requireIfMatch(ctx: RequestContext, required: boolean): void {
  if (required && ifMatchOf(ctx) === undefined) throw new PreconditionRequired();
}

/**
 * Checks `If-Match` against the stored `doc` (412 when it does not match) and, when it names a version,
 * makes the coming write conditional on that version (the update filter carries it).
 */
export function checkIfMatch(ctx: RequestContext, model: AnyModel, doc: AnyDocument): void {
  const header = ifMatchOf(ctx);
  if (header === undefined) return;
  if (!ifMatchAllows(header, itemEtag(model, doc))) throw new PreconditionFailed();
  if (parseTags(header) !== '*') expectVersion(doc, versionOf(model, doc) as Version);
}

/**
 * `If-Match` on a bulk write: every matched document's current ETag must be listed (or the header is
 * `*`), else 412 before anything is written; each write is then conditional on its document's version.
 */
export function checkBulkIfMatch(ctx: RequestContext, model: AnyModel, docs: readonly AnyDocument[]): void {
  const header = ifMatchOf(ctx);
  if (header === undefined) return;
  const tags = parseTags(header);
  if (tags === '*') return;
  const listed = new Set(tags.filter((tag) => !tag.weak).map((tag) => tag.opaque));
  for (const doc of docs) {
    const etag = itemEtag(model, doc);
    if (etag === undefined || !listed.has(parseTag(etag).opaque)) throw new PreconditionFailed();
  }
  for (const doc of docs) expectVersion(doc, versionOf(model, doc) as Version);
}

/** Sets the `ETag` of a document a write answers with (none for models without a version key). */
export function setItemEtag(ctx: RequestContext, model: AnyModel, doc: AnyDocument | PlainDocument): void {
  const etag = itemEtag(model, doc);
  if (etag !== undefined) ctx.set('ETag', etag);
}
