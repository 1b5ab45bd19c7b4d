/**
 * Patch (`PATCH /posts/<pk>/`): a patch document → the PUT body it amounts to, then exactly the PUT
 * pipeline (writable fields, `validateRequest`, schema validation, `hasChangePermission` on the stored
 * state, nested `saveRelatedFields`). The patch applies to the document as GET shows it with every
 * field (`_fields=_all`), limited to the writable fields; the top-level fields it changes are written.
 *
 *  - `application/json-patch+json`: RFC 6902 (lib/patch/json-patch.ts).
 *  - `application/merge-patch+json`, `application/json` (and other JSON types): RFC 7396.
 */
import { BadRequest, Conflict, HttpError, UnsupportedMediaType } from '../errors.js';
import { isPlainObject } from '../guards.js';
import type { WriteAttempt } from '../idempotency/attempt.js';
import { jsonEqual } from '../patch/json-value.js';
import { applyJsonPatch, JsonPatchError } from '../patch/json-patch.js';
import { mergePatch } from '../patch/merge-patch.js';
import { type Resource, type ResourceClass } from '../resource.js';
import { scopeKey } from '../resource/scope.js';
import { updateTarget } from '../serialize/children.js';
import type { AnyDocument, PlainDocument, RequestContext } from '../types.js';
import { NOT_AN_OBJECT, readJsonBody, type BodyOptions } from '../write/body.js';
import { prepareUpdate } from '../write/prepare.js';
import { checkIfMatch, requireIfMatch } from '../versioning/conditional.js';
import { plainOf } from './shared.js';
import { answerUpdated, appliedEarlier, documentOr404, saveChanges } from './write.js';

export const JSON_PATCH_TYPE = 'application/json-patch+json';
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';
/** The `Accept-Patch` header (RFC 5789) of an item route that answers PATCH. */
export const ACCEPT_PATCH = `${MERGE_PATCH_TYPE}, ${JSON_PATCH_TYPE}`;

/** With an idempotency `attempt`: as `update` (version recorded before, save conditional on it). */
export async function patch(ctx: RequestContext, resource: Resource, body: BodyOptions, rawPk: string, attempt?: WriteAttempt): Promise<void> {
  requireIfMatch(ctx, resource.requireIfMatch);
  const jsonPatch = ctx.is(JSON_PATCH_TYPE) === JSON_PATCH_TYPE;
  const document = await readPatchDocument(ctx, body);
  if (jsonPatch && !Array.isArray(document)) throw new BadRequest('A JSON Patch document must be an array of operations.');
  if (!jsonPatch && !isPlainObject(document)) throw new BadRequest(NOT_AN_OBJECT);

  const doc = await documentOr404(ctx, resource, rawPk);
  if (await appliedEarlier(attempt, doc)) return answerUpdated(ctx, resource, doc);
  checkIfMatch(ctx, resource.document, doc);
  const target = updateTarget(resource, doc);
  const fields = writableApiNames(target);
  const before = await patchableView(ctx, resource, doc, fields);
  let after: Record<string, unknown>;
  if (jsonPatch) {
    try {
      after = applyJsonPatch(before, document, { isField: (key) => fields.has(key) });
    } catch (error) {
      if (!(error instanceof JsonPatchError)) throw error;
      throw error.kind === 'malformed' ? new BadRequest(error.message) : new Conflict({ error: error.message });
    }
  } else {
    after = mergePatch(before, document) as Record<string, unknown>;
  }

  const { data } = await prepareUpdate(ctx, resource, changedFields(before, after, fields), doc);
  await target.validateRequest(ctx, data, doc);
  const saved = await saveChanges(ctx, resource, target, doc, data, rawPk, attempt);
  resource.deadline.restart();
  return answerUpdated(ctx, resource, saved);
}

/** The body as JSON; a 415 says which patch formats are understood (RFC 5789 §2.2). */
async function readPatchDocument(ctx: RequestContext, body: BodyOptions): Promise<unknown> {
  try {
    return await readJsonBody(ctx, body);
  } catch (error) {
    if (error instanceof UnsupportedMediaType) throw new HttpError(415, error.body, { 'Accept-Patch': ACCEPT_PATCH });
    throw error;
  }
}

/** API names of the fields a body may write to documents of `target`'s type. */
function writableApiNames(target: Resource): Set<string> {
  const meta = target.meta;
  return new Set([...meta.writable].map((field) => meta.apiNames.get(field) ?? field));
}

/**
 * The stored document as GET shows it with `_fields=_all` (ids and dates as their JSON strings, related
 * resources nested), limited to the writable fields: what the patch's paths and `test` values refer to.
 */
async function patchableView(ctx: RequestContext, resource: Resource, doc: AnyDocument, fields: ReadonlySet<string>): Promise<Record<string, unknown>> {
  const viewer = new (resource.constructor as ResourceClass)();
  viewer[scopeKey] = resource[scopeKey];
  const everyField = Object.create(ctx, { query: { value: { ...ctx.query, _fields: '_all' }, enumerable: true } }) as RequestContext;
  const shown = JSON.parse(JSON.stringify(await viewer.serialize(plainOf(doc), everyField))) as PlainDocument;
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(shown)) if (fields.has(key)) view[key] = value;
  return view;
}

/** The PUT body a patch amounts to: each writable field it changed (a removed one as `null`). */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>, fields: ReadonlySet<string>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of fields) {
    const had = Object.hasOwn(before, key);
    const has = Object.hasOwn(after, key);
    if (!has && had) changed[key] = null;
    else if (has && (!had || !jsonEqual(before[key], after[key]))) changed[key] = after[key];
  }
  return changed;
}
