/**
 * Path items and operations: one path item per collection and item URL (as registered), one operation
 * per enabled method with a stable `operationId` (`listPosts`, `fetchPost`, `createPost`, `updatePost`,
 * `bulkUpdatePosts`, `deletePost`; custom actions `publishPost`, `publishAllPosts`), a tag per view,
 * parameters, request bodies, responses and security.
 */
import { scopeAlternatives } from '../auth/rule-shape.js';
import type { MethodName, Verb } from '../methods.js';
import type { SchemaComponents } from './components.js';
import { UniqueNames, pascalCase, plural } from './names.js';
import { NDJSON } from '../handlers/stream.js';
import { ACCEPT_PATCH } from '../handlers/patch.js';
import {
  countParameter,
  cursorParameter,
  fieldsParameter,
  filterParametersOf,
  idParameter,
  idempotencyKeyParameter,
  ifMatchParameter,
  ifNoneMatchParameter,
  orderParameter,
  pageParameters,
  parentIdParameter,
} from './parameters.js';
import { actionErrorStatuses, errorResponseNames, errorStatuses, keyedMethodNames, refusals } from './responses.js';
import type { SecuritySchemes } from './security.js';
import type { ViewSource } from './source.js';
import type { JsonSchema, OpenApiHttpMethod, OpenApiOperation, OpenApiParameter, OpenApiPathItem, OpenApiResponse } from './types.js';

/** What building the operations of a document shares. */
export interface OperationContext {
  readonly schemas: SchemaComponents;
  readonly security: SecuritySchemes;
  readonly operationIds: UniqueNames;
  readonly tags: UniqueNames;
}

/** The OpenAPI key of each verb an action may answer. */
const verbKey: Record<Verb, OpenApiHttpMethod> = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete' };

const httpMethod: Record<MethodName, OpenApiHttpMethod> = {
  List: 'get',
  Fetch: 'get',
  Create: 'post',
  Update: 'put',
  Patch: 'patch',
  BulkUpdate: 'put',
  Delete: 'delete',
  BulkCreate: 'post',
  BulkDelete: 'delete',
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
/** The last line of a stream cut short: by `maxStreamDocuments` (`truncated`) or by an error once it had started. */
const streamEndSchema: JsonSchema = {
  type: 'object',
  description: 'The last line of an NDJSON stream that did not end normally.',
  properties: { error: { type: 'string' }, truncated: { const: true } },
  required: ['error'],
};
const errorRef = (status: keyof typeof errorResponseNames) => ({ $ref: `#/components/responses/${errorResponseNames[status]}` });

/** The path items of one view, keyed by path, and its tag. */
export function viewPaths(view: ViewSource, context: OperationContext): { tag: { name: string; description: string }; paths: Record<string, OpenApiPathItem> } {
  const singular = pascalCase(view.name);
  const many = plural(singular);
  const tag = { name: context.tags.claim(many), description: `${view.viewName} at \`${view.collectionPath}\`.` };
  const { schemas } = context;
  const resource = view.resource;
  const paths: Record<string, OpenApiPathItem> = {};
  const names = resourceWords(view);

  const operation = (method: MethodName, id: string, summary: string, parameters: OpenApiParameter[], success: Record<string, OpenApiResponse>, body?: JsonSchema): OpenApiOperation => {
    const responses: OpenApiOperation['responses'] = {};
    for (const [status, response] of Object.entries(success)) responses[status] = withCommonHeaders(method, response);
    for (const status of errorStatuses(view, method)) responses[status] = errorRef(status);
    parameters = [...parameters, ...headerParameters(method)];
    const { anonymousPasses } = refusals(view, method);
    const rule = view.permissions !== undefined && Object.hasOwn(view.permissions, method) ? view.permissions[method] : undefined;
    const scopeSets = rule === undefined ? undefined : scopeAlternatives(rule);
    const { security, undescribed } = context.security.requirements(view.strategies, anonymousPasses, scopeSets);
    const op: OpenApiOperation = { operationId: context.operationIds.claim(id), summary, tags: [tag.name], responses };
    if (parameters.length > 0) op.parameters = parameters;
    if (body) op.requestBody = { required: true, content: json(body) };
    if (security) op.security = security;
    if (undescribed.length > 0) op.description = `Also authenticated by ${undescribed.join(', ')} (not described in this document).`;
    return op;
  };

  /** Headers every success answer of `method` may carry: Cache-Control (authenticated), Idempotent-Replayed (keyed writes). */
  function withCommonHeaders(method: MethodName, response: OpenApiResponse): OpenApiResponse {
    const headers: NonNullable<OpenApiResponse['headers']> = { ...response.headers };
    if (view.strategies.length > 0) headers['Cache-Control'] = headerRef('CacheControl');
    if (view.idempotency && keyedMethodNames.has(method)) headers['Idempotent-Replayed'] = headerRef('IdempotentReplayed');
    return Object.keys(headers).length > 0 ? { ...response, headers } : response;
  }
  /** Conditional-request and idempotency headers `method` reads. */
  function headerParameters(method: MethodName): OpenApiParameter[] {
    const out: OpenApiParameter[] = [];
    if (method === 'List' || method === 'Fetch') out.push(ifNoneMatchParameter);
    if (method === 'Update' || method === 'Patch' || method === 'Delete') out.push(ifMatchParameter(resource.requireIfMatch));
    if (method === 'BulkUpdate' || method === 'BulkDelete') out.push(ifMatchParameter(false));
    if (view.idempotency && keyedMethodNames.has(method)) out.push(idempotencyKeyParameter);
    return out;
  }
  /** A stored document's answer: its strong ETag when the model is versioned. */
  const etag = (): NonNullable<OpenApiResponse['headers']> => (resource.versioned ? { ETag: headerRef('ETag') } : {});
  const objectResponse = (description: string, headers?: OpenApiResponse['headers']): OpenApiResponse => {
    const all = { ...etag(), ...headers };
    return { description, ...(Object.keys(all).length > 0 ? { headers: all } : {}), content: json(schemas.output(resource)) };
  };
  const fields = fieldsParameter(resource);
  const id = idParameter(resource);
  // A nested view: every path holds the parent's pk too.
  const parentId = view.parent ? [parentIdParameter(view.parent)] : [];
  const createBody = () => (view.parent ? schemas.createNested(resource, view.parent.field) : schemas.create(resource));

  const bulkCreate = view.methods.some((marker) => marker.name === 'BulkCreate');
  const single = view.methods.some((marker) => marker.name === 'Create');
  const countResult = () => ({
    '200': {
      description: 'How many documents were changed.',
      content: json(schemas.shared('BulkResult', { type: 'object', properties: { count: { type: 'integer', minimum: 0 } }, required: ['count'] })),
    },
  });
  const createdPage = () => ({ type: 'object', properties: { data: { type: 'array', items: schemas.output(resource) } }, required: ['data'] });

  for (const marker of view.methods) {
    // Create and BulkCreate share `POST <collection>`: one operation taking an object or an array.
    if (marker.name === 'BulkCreate' && single) continue;
    const onItem = marker.target === 'item';
    const path = onItem ? view.itemPath : view.collectionPath;
    const item = (paths[path] ??= {});
    if (onItem) item.parameters = [...parentId, id];
    else if (parentId.length > 0) item.parameters = parentId;
    let op: OpenApiOperation;
    switch (marker.name) {
      case 'List': {
        const parameters = [...pageParameters(resource), ...cursorParameter(resource), fields, ...optional(orderParameter(resource)), countParameter, ...filterParametersOf(resource)];
        const line = { oneOf: [schemas.output(resource), schemas.shared('StreamEnd', streamEndSchema)] };
        op = operation('List', `list${many}`, `List ${names.many}`, parameters, {
          '200': {
            description: `A page of ${names.many} (JSON); with \`Accept: ${NDJSON}\`, every matching ${names.word} (no paging), one JSON object per line, the last line an error object when the stream was cut short.`,
            headers: { ETag: headerRef('WeakETag') },
            content: { ...json(schemas.list(resource)), [NDJSON]: { schema: line } },
          },
        });
        break;
      }
      case 'Fetch':
        op = operation('Fetch', `fetch${singular}`, `Fetch ${names.one}`, [fields], { '200': objectResponse(`The ${names.word}.`) });
        break;
      case 'Create':
        op = operation(
          'Create',
          `create${singular}`,
          `Create ${names.one}`,
          [fields],
          { '201': objectResponse(`The ${names.word} as stored.`, { Location: { $ref: '#/components/headers/Location' } }) },
          createBody(),
        );
        if (bulkCreate) {
          // An array body creates several documents (BulkCreate): 201 with `{ data: [...] }`, no Location.
          op.requestBody = { required: true, content: json({ oneOf: [createBody(), { type: 'array', items: createBody() }] }) };
          op.responses['201'] = {
            description: `The ${names.word} as stored (an object sent), or \`{ data: [...] }\` in order (an array sent; no Location).`,
            headers: {
              Location: { description: 'URL of the new document (when an object was sent).', schema: { type: 'string' } },
              ...(resource.versioned ? { ETag: { description: 'The version of the new document (when an object was sent).', schema: { type: 'string' } } } : {}),
              ...withCommonHeaders('Create', { description: '' }).headers,
            },
            content: json({ oneOf: [schemas.output(resource), createdPage()] }),
          };
        }
        break;
      case 'BulkCreate':
        op = operation('BulkCreate', `bulkCreate${many}`, `Create several ${names.many}`, [fields], { '201': { description: `The ${names.many} as stored, in order.`, content: json(createdPage()) } }, {
          type: 'array',
          items: createBody(),
        });
        break;
      case 'BulkDelete':
        op = operation('BulkDelete', `bulkDelete${many}`, `Delete every ${names.word} matching the filters`, filterParametersOf(resource), countResult());
        op.description = 'At least one declared filter is required; a query key that names no declared filter is refused (400).';
        break;
      case 'Update':
        op = operation('Update', `update${singular}`, `Update ${names.one}`, [fields], { '200': objectResponse(`The ${names.word} as stored.`) }, schemas.update(resource));
        break;
      case 'Patch': {
        op = operation('Patch', `patch${singular}`, `Patch ${names.one}`, [fields], { '200': objectResponse(`The ${names.word} as stored.`) });
        const merge = schemas.update(resource);
        op.requestBody = {
          required: true,
          description: 'RFC 7396 merge patch (objects merge, `null` removes a key) or RFC 6902 JSON Patch, on the document as GET shows it.',
          content: { 'application/merge-patch+json': { schema: merge }, 'application/json': { schema: merge }, 'application/json-patch+json': { schema: schemas.jsonPatch() } },
        };
        // RFC 5789: a PATCH refused for its media type says which ones are accepted.
        op.responses['415'] = {
          description: `The body is not a patch document this URL accepts (${ACCEPT_PATCH}, application/json).`,
          headers: { 'Accept-Patch': headerRef('AcceptPatch') },
          content: json(schemas.shared('Error', {})),
        };
        break;
      }
      case 'BulkUpdate':
        op = operation(
          'BulkUpdate',
          `bulkUpdate${many}`,
          `Update every ${names.word} matching the filters`,
          filterParametersOf(resource).map((parameter) => parameter),
          {
            '200': {
              description: 'How many documents were changed.',
              content: json(schemas.shared('BulkUpdateResult', { type: 'object', properties: { count: { type: 'integer', minimum: 0 } }, required: ['count'] })),
            },
          },
          schemas.bulkUpdate(resource),
        );
        op.description = [op.description, 'A query key that names no declared filter is refused (400), so a typo never widens the update.'].filter(Boolean).join(' ');
        break;
      case 'Delete':
        op = operation('Delete', `delete${singular}`, `Delete ${names.one}`, [], { '204': { description: 'Deleted.' } });
        break;
    }
    item[httpMethod[marker.name]] = op;
  }

  for (const { action, path } of view.actions) {
    const onItem = action.target === 'item';
    const word = pascalCase(action.name);
    const responses: OpenApiOperation['responses'] = {};
    // No ETag: the action's URL is not the document's. Cache-Control as on every authenticated answer.
    const headers = view.strategies.length > 0 ? { headers: { 'Cache-Control': headerRef('CacheControl') } } : {};
    if (action.responseSchema === undefined) {
      responses['200'] = { description: 'What the action answered.', ...headers, content: json({}) };
      responses['204'] = { description: 'The action answered nothing.', ...headers };
    } else {
      const schema = action.responseSchema === 'document' ? schemas.output(resource) : action.responseSchema;
      responses['200'] = { description: action.responseSchema === 'document' ? `The ${names.word}.` : 'What the action answered.', ...headers, content: json(schema) };
    }
    for (const status of actionErrorStatuses(view, action)) responses[status] = errorRef(status);
    const { anonymousPasses } = refusals(view, action.name);
    const rule = view.permissions !== undefined && Object.hasOwn(view.permissions, action.name) ? view.permissions[action.name] : undefined;
    const scopeSets = rule === undefined ? undefined : scopeAlternatives(rule);
    const { security, undescribed } = context.security.requirements(view.strategies, anonymousPasses, scopeSets);
    const op: OpenApiOperation = {
      operationId: context.operationIds.claim(`${word[0]!.toLowerCase()}${word.slice(1)}${onItem ? singular : many}`),
      summary: action.summary ?? `${action.name} (action on ${onItem ? names.one : names.many})`,
      tags: [tag.name],
      responses,
    };
    const descriptions = [action.description, undescribed.length > 0 ? `Also authenticated by ${undescribed.join(', ')} (not described in this document).` : undefined].filter(Boolean);
    if (descriptions.length > 0) op.description = descriptions.join(' ');
    if (action.responseSchema === 'document') op.parameters = [fields];
    // The body is optional: the handler receives `undefined` without one.
    if (action.verb !== 'GET') op.requestBody = { required: false, content: json(action.requestSchema ?? {}) };
    if (security) op.security = security;
    const actionItem: OpenApiPathItem = (paths[path] ??= {});
    if (onItem) actionItem.parameters = [id];
    actionItem[verbKey[action.verb]] = op;
  }

  if (view.schemaPath !== undefined) {
    const op = operation('Fetch', `get${singular}Schema`, `JSON Schema of ${names.one}`, [], {
      '200': { description: `The JSON Schema of ${names.one}, as in this document.`, content: { 'application/schema+json': { schema: { type: 'object' } } } },
    });
    // Authenticated like the view's other URLs; no permission table, no database.
    const { unauthorized } = refusals({ ...view, permissions: undefined }, 'Fetch');
    op.responses = { '200': op.responses['200']!, ...(unauthorized ? { '401': errorRef('401') } : {}) };
    const { security } = context.security.requirements(view.strategies, true);
    if (security) op.security = security;
    else delete op.security;
    paths[view.schemaPath] = { get: op };
  }
  return { tag, paths: withAliases(view, paths, names.word, context) };
}

/** `paths` with the view's alias paths (`/users/me/`) just before its item path, which would match them too. */
function withAliases(view: ViewSource, paths: Record<string, OpenApiPathItem>, word: string, context: OperationContext): Record<string, OpenApiPathItem> {
  if (view.aliases.length === 0) return paths;
  // The item URL and each item action's URL (`/users/{id}/publish/`) get an alias form (`/users/me/publish/`).
  const aliasedPaths = new Map<string, (alias: string) => string>([[view.itemPath, (alias) => view.itemPath.replace('{id}', alias)]]);
  for (const { action, path } of view.actions) if (action.target === 'item') aliasedPaths.set(path, (alias) => path.replace('{id}', alias));
  const ordered: Record<string, OpenApiPathItem> = {};
  for (const [path, pathItem] of Object.entries(paths)) {
    const aliasPath = aliasedPaths.get(path);
    if (aliasPath) for (const alias of view.aliases) ordered[aliasPath(alias.name)] = aliasPathItem(alias.name, pathItem, word, context);
    ordered[path] = pathItem;
  }
  return ordered;
}

/**
 * The path item of an alias (`/users/me/`): the item operations without the `{id}` parameter, each with
 * a 401 (an alias that gives no pk to an unauthenticated caller) and without the anonymous `{}`
 * requirement (an anonymous caller always gets that 401).
 */
function aliasPathItem(alias: string, item: OpenApiPathItem, word: string, context: OperationContext): OpenApiPathItem {
  const aliased: OpenApiPathItem = {};
  for (const verb of ['get', 'post', 'put', 'patch', 'delete'] as const) {
    const operation = item[verb];
    if (operation === undefined) continue;
    const copy = structuredClone(operation);
    copy.operationId = context.operationIds.claim(`${operation.operationId}${pascalCase(alias)}`);
    copy.summary = `${operation.summary} (\`${alias}\`)`;
    copy.description = [
      `The ${word} whose pk the alias \`${alias}\` gives for the caller: 401 when it gives none to an unauthenticated caller, 404 when it gives none to an authenticated one.`,
      operation.description,
    ]
      .filter(Boolean)
      .join(' ');
    if (copy.responses['401'] === undefined) {
      copy.responses = Object.fromEntries(
        [...Object.entries(copy.responses), ['401', errorRef('401')] as const].sort(([a], [b]) => Number(a) - Number(b)),
      ) as OpenApiOperation['responses'];
    }
    if (copy.security !== undefined) {
      const security = copy.security.filter((requirement) => Object.keys(requirement).length > 0);
      if (security.length > 0) copy.security = security;
      else delete copy.security;
    }
    aliased[verb] = copy;
  }
  return aliased;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/** How summaries name the documents: "a post", "posts". */
function resourceWords(view: ViewSource): { one: string; many: string; word: string } {
  const word = view.name.replace(/[^A-Za-z0-9]+/g, ' ').trim().toLowerCase() || 'document';
  const many = plural(word);
  // "an image", "an update", but "a user", "a unit".
  const article = /^[aeio]|^u[^aeiou][^aeiou]/.test(word) ? 'an' : 'a';
  return { one: `${article} ${word}`, many, word };
}
