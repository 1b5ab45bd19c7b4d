/**
 * Running a custom action once the view let the request through (authentication, `permissions`): read
 * the body (same rules and limits as writes), load the document of an item action as Fetch does, call the
 * handler and answer with what it returned.
 */
import { NotFound } from '../errors.js';
import { sendItem } from '../handlers/item-body.js';
import { plainOf } from '../handlers/shared.js';
import { JSON_TYPE } from '../http/json.js';
import { castPk } from '../query/pk.js';
import type { Resource } from '../resource.js';
import type { AnyDocument, AnyModel, PlainDocument, RequestContext } from '../types.js';
import { hasBody, readJsonBody, type BodyOptions } from '../write/body.js';
import type { Action } from './action.js';

/** Runs `action` for the request `ctx` (`pk`: the item route's segment, for an item action). */
export async function runAction(ctx: RequestContext, resource: Resource, action: Action, body: BodyOptions, pk?: string): Promise<void> {
  // A GET reads no body; the other verbs read one when it is there, as strictly as writes do.
  const input = action.verb !== 'GET' && hasBody(ctx) ? await readJsonBody(ctx, body) : undefined;
  let result: unknown;
  if (action.target === 'item') {
    const doc = (await resource.getObject(ctx, castPk(resource.meta, pk!), { forWrite: true })) as AnyDocument | null;
    if (!doc) throw new NotFound();
    result = await action.handler(ctx, { doc, resource, body: input });
  } else {
    result = await action.handler(ctx, { resource, body: input });
  }
  await answer(ctx, resource, result);
}

/**
 * The handler's return value as the answer: documents of the resource's model through its serializer
 * (`_fields` applies; an array of them as a list is), other objects as JSON, scalars and `null` as JSON
 * text, `undefined` as 204 — unless the handler set `ctx.body` itself.
 */
async function answer(ctx: RequestContext, resource: Resource, result: unknown): Promise<void> {
  if (result === undefined) {
    if (ctx.body === undefined || ctx.body === null) ctx.status = 204;
    return;
  }
  const model = resource.document;
  if (isDocumentOf(result, model)) {
    return sendItem(ctx, resource, plainOf(result));
  }
  if (Array.isArray(result) && result.length > 0 && result.every((item) => isDocumentOf(item, model))) {
    ctx.body = await resource.serializeMany(result.map((doc: AnyDocument) => plainOf(doc)), ctx);
    return;
  }
  // Checked here, where a failure is answered as a JSON 500 (Koa would stringify it after the response began).
  const text = JSON.stringify(result);
  if (text === undefined) throw new TypeError(`The ${action(ctx)} action's handler returned a value that is not JSON (${typeof result}).`);
  if (typeof result === 'object' && result !== null) {
    ctx.body = result as PlainDocument;
  } else {
    ctx.type = JSON_TYPE;
    ctx.body = text;
  }
}

function action(ctx: RequestContext): string {
  const served = (ctx.state as { mongorest?: { method?: string } }).mongorest;
  return JSON.stringify(served?.method ?? '');
}

/** A hydrated document of `model` (or of one of its discriminators: they share its collection). */
function isDocumentOf(value: unknown, model: AnyModel): value is AnyDocument {
  return value instanceof model.base.Model && (value as AnyDocument).collection?.name === model.collection.name;
}
