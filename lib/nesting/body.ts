/**
 * Bodies written through a nested view (`POST /posts/<id>/comments/`, PUT, PATCH, bulk writes): the
 * parent comes from the URL. A body may leave the parent field out or give the URL's parent again (its
 * id, or `{ "id": … }`); naming another parent (or `null`) is a 400 on that field — a child never moves
 * to another parent through a nested URL. Creates get the field set.
 */
import { BadRequest } from '../errors.js';
import { isPlainObject } from '../guards.js';
import { type Resource } from '../resource.js';
import { scopeKey } from '../resource/scope.js';
import type { PlainDocument } from '../types.js';
import type { ParentScope } from './lookup.js';

/**
 * Checks the parent field of `data` (internal names) and takes it out, so that the reference checks of
 * the write do not look the parent up again. Returns the parent to set back with `restoreParent`
 * (creates), `undefined` for a resource not serving a nested view.
 */
export function takeParentField(target: Resource, data: PlainDocument): ParentScope | undefined {
  const parent = target[scopeKey].parent;
  if (!parent) return undefined;
  if (Object.hasOwn(data, parent.field)) {
    if (!namesParent(target, data[parent.field], parent)) {
      throw new BadRequest({ 'field-errors': { [parent.apiField]: `Must be the id of the parent in the URL (${JSON.stringify(String(parent.id))}) or left out.` } });
    }
    delete data[parent.field];
  }
  return parent;
}

/** A create through a nested view stores the URL's parent. */
export function setParentField(data: PlainDocument, parent: ParentScope | undefined): void {
  if (parent) data[parent.field] = parent.id;
}

/** Whether a body value is the parent's id: as text or number, or `{ "id": … }` with nothing else. */
function namesParent(target: Resource, value: unknown, parent: ParentScope): boolean {
  const given = isPlainObject(value) && Object.keys(value).length === 1 && Object.hasOwn(value, 'id') ? value.id : value;
  if (given === null || typeof given === 'object' || typeof given === 'undefined') return false;
  const type = target.meta.schema.path(parent.field) as unknown as { cast?: (value: unknown) => unknown } | undefined;
  let cast: unknown;
  try {
    // The field's own schema type: typed like the parent's `_id` (checked at register).
    cast = type?.cast ? type.cast(given) : given;
  } catch {
    return false;
  }
  return cast !== null && cast !== undefined && String(cast) === String(parent.id);
}
