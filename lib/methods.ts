/**
 * Method markers: which HTTP verb on which route shape each enables. A view lists the ones it allows.
 * Constants as data, so routing (405 + Allow) and permissions read the same table.
 */

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** `collection` is the view's URL (`/posts/`), `item` is `/posts/<pk>/`. */
export type RouteTarget = 'collection' | 'item';
export type MethodName = 'List' | 'Fetch' | 'Create' | 'Update' | 'Patch' | 'BulkUpdate' | 'Delete' | 'BulkDelete' | 'BulkCreate';

export interface MethodMarker {
  readonly name: MethodName;
  readonly verb: Verb;
  readonly target: RouteTarget;
}

const marker = (name: MethodName, verb: Verb, target: RouteTarget): MethodMarker =>
  Object.freeze({ name, verb, target });

/** `GET /posts/`: a page of documents. */
export const List = marker('List', 'GET', 'collection');
/** `POST /posts/`: create one document. */
export const Create = marker('Create', 'POST', 'collection');
/**
 * `POST /posts/` with a JSON array: create every item, all validated and authorized first. Shares the
 * route with `Create`: an array body is a bulk create, an object a single one.
 */
export const BulkCreate = marker('BulkCreate', 'POST', 'collection');
/** `PUT /posts/?filters`: apply the body to every matching document. */
export const BulkUpdate = marker('BulkUpdate', 'PUT', 'collection');
/** `DELETE /posts/?filters`: remove every matching document (at least one filter required). */
export const BulkDelete = marker('BulkDelete', 'DELETE', 'collection');
/** `GET /posts/<pk>/`: one document. */
export const Fetch = marker('Fetch', 'GET', 'item');
/** `PUT /posts/<pk>/`: change the keys sent. */
export const Update = marker('Update', 'PUT', 'item');
/**
 * `PATCH /posts/<pk>/`: change part of one document — RFC 7396 merge patch (`application/merge-patch+json`
 * or `application/json`) or RFC 6902 JSON Patch (`application/json-patch+json`).
 */
export const Patch = marker('Patch', 'PATCH', 'item');
/** `DELETE /posts/<pk>/`: remove one document. */
export const Delete = marker('Delete', 'DELETE', 'item');

export const allMethods: readonly MethodMarker[] = [List, Create, BulkCreate, BulkUpdate, BulkDelete, Fetch, Update, Patch, Delete];
