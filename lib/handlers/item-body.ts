/** The body of an answer that is one document: fetch, create, update, and actions returning a document. */
import { andThen } from '../maybe-promise.js';
import type { Resource } from '../resource.js';
import { serializeItem } from '../serialize/related.js';
import type { PlainDocument, RequestContext } from '../types.js';

/**
 * Sets `ctx.body` to the document's output; a promise only when the output has to be waited for (an
 * overridden `serialize`, a computed field, a relation to load), so the plain case costs no turn of the
 * microtask queue. Return it from the handler (or await it).
 */
export function sendItem(ctx: RequestContext, resource: Resource, doc: PlainDocument): void | Promise<void> {
  return andThen(serializeItem(resource, doc, ctx), (body) => {
    ctx.body = body;
  });
}
