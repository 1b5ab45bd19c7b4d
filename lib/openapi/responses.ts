/**
 * Responses: the shared error responses (`components.responses`, with their body schemas and headers),
 * and which statuses each operation can give — 401/403 only where authentication or permissions can
 * refuse, 409 where a unique index can conflict, 413/415 where a body is read.
 */
import type { Action } from '../actions/action.js';
import { allow, authenticated } from '../auth/roles.js';
import { keyedMethods } from '../idempotency/keyed-write.js';
import { allMethods, type MethodName } from '../methods.js';
import type { SchemaComponents } from './components.js';
import { hasAnonymous } from './security.js';
import { resourceSource, type ResourceSource, type ViewSource } from './source.js';
import type { OpenApiHeader, OpenApiResponse } from './types.js';

export type ErrorStatus = '304' | '400' | '401' | '403' | '404' | '405' | '406' | '409' | '412' | '413' | '415' | '422' | '428' | '503' | '504';

/** Component names of the shared error responses, by status. */
export const errorResponseNames: Record<ErrorStatus, string> = {
  '304': 'NotModified',
  '400': 'BadRequest',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'NotFound',
  '405': 'MethodNotAllowed',
  '406': 'NotAcceptable',
  '409': 'Conflict',
  '412': 'PreconditionFailed',
  '428': 'PreconditionRequired',
  '413': 'PayloadTooLarge',
  '415': 'UnsupportedMediaType',
  '422': 'IdempotencyKeyReused',
  '503': 'ServiceUnavailable',
  '504': 'GatewayTimeout',
};

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });

/** Fills `components.responses`, `components.headers` and the error body schemas. */
export function sharedResponses(schemas: SchemaComponents): { responses: Record<string, OpenApiResponse>; headers: Record<string, OpenApiHeader> } {
  const error = schemas.shared('Error', {
    type: 'object',
    properties: { error: { type: 'string', description: 'What went wrong, for people.' } },
    required: ['error'],
  });
  const fieldErrors = { type: 'object', additionalProperties: { type: 'string' }, description: 'API path (`emails.1`) → message.' };
  const badRequest = schemas.shared('BadRequestError', {
    type: 'object',
    description: 'A bad parameter or body (`error`), or values that failed validation (`field-errors`).',
    properties: { error: { type: 'string' }, 'field-errors': fieldErrors },
    minProperties: 1,
  });
  const conflict = schemas.shared('ConflictError', {
    type: 'object',
    properties: { error: { type: 'string' }, 'field-errors': fieldErrors },
    required: ['error'],
  });
  const headers: Record<string, OpenApiHeader> = {
    Location: { description: 'URL of the new document.', required: true, schema: { type: 'string' } },
    Allow: { description: 'The methods this URL answers.', required: true, schema: { type: 'string' } },
    RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
    WWWAuthenticate: {
      description: 'The schemes the strategies name (when any names one); `Bearer error="invalid_token", error_description="…"` for a refused JWT.',
      schema: { type: 'string' },
    },
    InsufficientScope: {
      description: 'When a `scope()` rule refused the caller: `Bearer error="insufficient_scope", scope="…"` naming the scopes that would do.',
      schema: { type: 'string' },
    },
    ETag: { description: 'The version of the document: send it back in `If-None-Match` (reads) or `If-Match` (writes).', required: true, schema: { type: 'string' } },
    WeakETag: { description: 'A weak validator of a JSON page (`If-None-Match` → 304 while it is unchanged); an NDJSON stream has none.', schema: { type: 'string', pattern: '^W/"' } },
    CacheControl: { description: '`private, no-cache` on answers to authenticated requests (revalidate with the ETag before reuse).', schema: { type: 'string' } },
    IdempotentReplayed: { description: '`true` when this is the recorded answer to an earlier request with the same `Idempotency-Key`.', schema: { type: 'string', enum: ['true'] } },
    AcceptPatch: { description: 'The patch formats PATCH accepts (RFC 5789).', required: true, schema: { type: 'string' } },
  };
  const responses: Record<string, OpenApiResponse> = {
    NotModified: { description: 'The copy named by `If-None-Match` is current (no body).' },
    BadRequest: { description: 'Bad request: invalid parameter, filter or body, or validation failed.', content: json(badRequest) },
    Unauthorized: {
      description: 'No authentication strategy authorized the request.',
      headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } },
      content: json(error),
    },
    Forbidden: {
      description: 'A permission refused the request.',
      headers: { 'WWW-Authenticate': { $ref: '#/components/headers/InsufficientScope' } },
      content: json(error),
    },
    NotFound: { description: 'No such document (or not visible to the caller).', content: json(error) },
    MethodNotAllowed: {
      description: 'The method is not enabled on this URL.',
      headers: { Allow: { $ref: '#/components/headers/Allow' } },
      content: json(error),
    },
    NotAcceptable: { description: 'The request’s Accept allows no JSON answer.', content: json(error) },
    Conflict: {
      description: 'A unique value already exists, a JSON Patch does not apply to the document, or a request with the same `Idempotency-Key` is still being processed.',
      content: json(conflict),
    },
    PreconditionFailed: { description: 'The document has changed since the `If-Match` ETag was read; nothing was written.', content: json(error) },
    PreconditionRequired: { description: 'This resource requires `If-Match` on item writes.', content: json(error) },
    PayloadTooLarge: { description: 'The body is larger than the limit.', content: json(error) },
    UnsupportedMediaType: { description: 'The body is not JSON (`Content-Type: application/json`).', content: json(error) },
    IdempotencyKeyReused: { description: 'This `Idempotency-Key` was already used for a different request (method, URL or body); nothing was done.', content: json(error) },
    ServiceUnavailable: {
      description: 'The database (or the key set that verifies JWTs) is unreachable or slower than the deadline; nothing was written.',
      headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
      content: json(error),
    },
    GatewayTimeout: {
      description: 'The database did not answer in time after a write was sent: the change may or may not have been saved (no `Retry-After`; retry with the same `Idempotency-Key`, or read first).',
      content: json(error),
    },
  };
  return { responses, headers };
}

const reads: ReadonlySet<MethodName> = new Set(['List', 'Fetch']);
/** Methods whose verb takes an `Idempotency-Key` (idempotency/keyed-write.ts): every write. */
export const keyedMethodNames: ReadonlySet<MethodName> = new Set(allMethods.filter((marker) => keyedMethods.has(marker.verb)).map((marker) => marker.name));
const itemMethods: ReadonlySet<MethodName> = new Set(['Fetch', 'Update', 'Patch', 'Delete']);
const bodyMethods: ReadonlySet<MethodName> = new Set(['Create', 'BulkCreate', 'Update', 'Patch', 'BulkUpdate']);

/** Whether authentication or the permissions of `view` can refuse `method` with 401 and/or 403. */
export function refusals(view: ViewSource, method: MethodName | Action['name']): { unauthorized: boolean; forbidden: boolean; anonymousPasses: boolean } {
  const anonymous = hasAnonymous(view.strategies);
  let unauthorized = view.strategies.length > 0 && !anonymous;
  let forbidden = false;
  let anonymousPasses = true;
  if (view.permissions !== undefined) {
    const rule = Object.hasOwn(view.permissions, method) ? view.permissions[method] : undefined;
    if (rule === undefined) {
      forbidden = true; // an unlisted method is refused to everyone
      anonymousPasses = false;
    } else if (rule === authenticated) {
      unauthorized = true;
      anonymousPasses = false;
    } else if (rule !== allow) {
      unauthorized = true;
      forbidden = true;
      anonymousPasses = false;
    }
  }
  // Permission hooks of the view or of the resource itself (the resource's run first, then the view's).
  const hooks = { add: view.hooks.add || view.resource.hooks.add, change: view.hooks.change || view.resource.hooks.change, delete: view.hooks.delete || view.resource.hooks.delete };
  if (((method === 'Create' || method === 'BulkCreate') && hooks.add) || ((method === 'Update' || method === 'Patch' || method === 'BulkUpdate') && hooks.change) || ((method === 'Delete' || method === 'BulkDelete') && hooks.delete)) {
    forbidden = true;
  }
  return { unauthorized, forbidden, anonymousPasses };
}

/** Whether a write of `source` can break a unique index (of its model or of a model it saves nested). */
function canConflict(source: ResourceSource, seen = new Set<ResourceSource>()): boolean {
  if (seen.has(source)) return false;
  seen.add(source);
  const unique = (indexes: [unknown, unknown][]) => indexes.some(([, options]) => (options as { unique?: boolean } | undefined)?.unique === true);
  if (unique(source.meta.schema.indexes() as [unknown, unknown][])) return true;
  // A polymorphic collection also writes the documents of its child types.
  return [...(source.children?.byValue.values() ?? [])].some((entry) => entry.resourceClass !== source.key && canConflict(resourceSource(entry.resourceClass), seen));
}

/** The error statuses `method` of `view` can answer. */
export function errorStatuses(view: ViewSource, method: MethodName): ErrorStatus[] {
  const statuses: ErrorStatus[] = [];
  const keyed = view.idempotency && keyedMethodNames.has(method);
  // Conditional requests: If-None-Match on reads, If-Match on changes of stored documents.
  if (method === 'List' || method === 'Fetch') statuses.push('304');
  // An Idempotency-Key of the wrong length is a 400 on every write.
  if ((method !== 'Fetch' && method !== 'Delete') || keyed) statuses.push('400');
  const { unauthorized, forbidden } = refusals(view, method);
  if (unauthorized) statuses.push('401');
  if (forbidden) statuses.push('403');
  // Nested views: the parent in the URL may be unknown (or unreadable) on every operation.
  if (itemMethods.has(method) || view.parent) statuses.push('404');
  statuses.push('406'); // an Accept that allows no JSON
  // A JSON Patch that does not apply (missing pointer, failed `test`) is a 409 too.
  if (method === 'Patch' || keyed || (!reads.has(method) && method !== 'Delete' && method !== 'BulkDelete' && writesCanConflict(view))) statuses.push('409');
  if (['Update', 'Patch', 'Delete', 'BulkUpdate', 'BulkDelete'].includes(method)) statuses.push('412');
  if (bodyMethods.has(method)) statuses.push('413', '415');
  if (keyed) statuses.push('422');
  if (view.resource.requireIfMatch && ['Update', 'Patch', 'Delete'].includes(method)) statuses.push('428');
  statuses.push('503');
  // Once a write may have been sent, a late or lost answer is "outcome unknown" (lib/deadline/).
  if (!reads.has(method)) statuses.push('504');
  return statuses;
}

/**
 * The error statuses the library can answer for a custom action: body errors when its verb reads one,
 * refusals of authentication and the `permissions` table, 404 for an item action's lookup, 406, 503
 * (the lookup, and whatever the handler runs through the resource, keep the deadline) and, but for GET
 * actions, 504 (a write sent without an answer in time). Errors the handler throws itself are the app's
 * to document.
 */
export function actionErrorStatuses(view: ViewSource, action: Action): ErrorStatus[] {
  const statuses: ErrorStatus[] = [];
  const readsBody = action.verb !== 'GET';
  if (readsBody) statuses.push('400');
  const { unauthorized, forbidden } = refusals(view, action.name);
  if (unauthorized) statuses.push('401');
  if (forbidden) statuses.push('403');
  if (action.target === 'item') statuses.push('404');
  statuses.push('406');
  if (readsBody) statuses.push('413', '415');
  statuses.push('503');
  // An action that is not a GET may write (through `resource.runWrite`, `updateObject`…).
  if (action.verb !== 'GET') statuses.push('504');
  return statuses;
}

function writesCanConflict(view: ViewSource): boolean {
  if (canConflict(view.resource)) return true;
  return [...view.resource.saveRelated].some((field) => {
    const related = view.resource.related.get(field);
    return related !== undefined && canConflict(resourceSource(related));
  });
}
