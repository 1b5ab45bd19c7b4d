/**
 * A request body → what `createObject` / `updateObject` receive, and which resource receives it: the
 * child resource of the document's type for polymorphic collections, its API names translated and
 * limited to its writable fields, the discriminator key removed (the model sets it; a stored type never
 * changes), and relations checked and prepared in batch (write/nested.ts).
 */
import { BadRequest } from '../errors.js';
import { apiPath } from '../http/field-errors.js';
import type { Resource } from '../resource.js';
import { createTarget, updateTarget } from '../serialize/children.js';
import { andThen } from '../maybe-promise.js';
import type { AnyDocument, MaybePromise, PlainDocument, RequestContext } from '../types.js';
import { toInternalData } from './input.js';
import { dropDiscriminatorKey, prepareRelatedInput } from './nested.js';
import { numberValueProblems } from './number-values.js';
import { setParentField, takeParentField } from '../nesting/body.js';

/** The resource that performs the write and the data it is given. */
export interface PreparedWrite {
  target: Resource;
  data: PlainDocument;
}

/**
 * POST: the type comes from the discriminator key (or the defaults); 400 on an unknown type or bad
 * relation. Given at once (a promise only when relations are checked): the common write waits for nothing here.
 */
export function prepareCreate(ctx: RequestContext, resource: Resource, body: Record<string, unknown>): MaybePromise<PreparedWrite> {
  const target = createTarget(resource, body);
  return andThen(prepareData(ctx, target, body, 'create'), (data) => ({ target, data }));
}

/**
 * PUT: the type is the stored document's (`doc`); without `doc` (bulk updates, whose documents may be
 * of several types) the resource itself translates the body.
 */
export function prepareUpdate(ctx: RequestContext, resource: Resource, body: Record<string, unknown>, doc?: AnyDocument): MaybePromise<PreparedWrite> {
  const target = doc ? updateTarget(resource, doc) : resource;
  return andThen(prepareData(ctx, target, body, 'update'), (data) => ({ target, data }));
}

function prepareData(ctx: RequestContext, target: Resource, body: Record<string, unknown>, write: 'create' | 'update'): MaybePromise<PlainDocument> {
  const data = toInternalData(target.meta, body);
  dropDiscriminatorKey(target.document, data);
  // Nested views (lib/nesting/): the parent comes from the URL, a body naming another one is a 400.
  const parent = takeParentField(target, data);
  return andThen(prepareRelatedInput(ctx, target, data), (prepared) => checkedData(target, prepared, write === 'create' ? parent : undefined));
}

/** The prepared data with the URL's parent set (creates in a nested view), its number values checked. */
function checkedData(target: Resource, prepared: PlainDocument, parent: ReturnType<typeof takeParentField>): PlainDocument {
  setParentField(prepared, parent);
  // After the relations: embedded sub-documents are in internal names now, saved ones are ids.
  const problems = numberValueProblems(target.meta.schema, prepared);
  if (Object.keys(problems).length > 0) {
    const fieldErrors: Record<string, string> = {};
    for (const [path, message] of Object.entries(problems)) fieldErrors[apiPath(target.meta, path)] = message;
    throw new BadRequest({ 'field-errors': fieldErrors });
  }
  return prepared;
}
