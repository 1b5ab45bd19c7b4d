/**
 * Contract test: the example app answers exactly what its OpenAPI document says. A representative set of
 * requests — every operation, every error status the document lists, on a healthy database, on one that
 * is down, and on one that takes writes without answering (504) — is recorded, and every response is
 * checked against the document:
 *
 *  - its method and path are an operation of the document, or the answer is 405 with an `Allow` header
 *    naming exactly the documented methods;
 *  - its status is one of the operation's responses, with the headers that response requires;
 *  - its body validates against the response's schema (Ajv, draft 2020-12, formats on) with every object
 *    schema closed (`unevaluatedProperties: false`), so a field the document does not name is a mismatch;
 *    an NDJSON body line by line;
 *  - the body of every request the server accepted validates against the operation's request schema.
 *
 * And the other way round: every status the document lists for an operation was seen, so the document
 * does not promise answers the server never gives.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import type { ValidateFunction } from 'ajv';
import { createApi, createApp } from '../example/api.js';
import { defineModels, type ExampleModels } from '../example/models.js';
import { seed } from '../example/seed.js';
import { mintToken } from '../example/jwt.js';
import type { JsonSchema } from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { openApiAjv } from './fixtures/openapi.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document

const KEY = 'contract-key';
const database = useTestDatabase(test, import.meta.url);

// The document and its validators are built when the file loads, before any database connection: the
// schemas compile in a second or two of CPU, which must not stall a connected driver's heartbeats.
const document = createApi(defineModels(mongoose.createConnection()), { apiKey: KEY }).openapi() as unknown as Json;
const base = 'https://contract.test/openapi.json';
const ajv = openApiAjv({ strict: false });
ajv.addSchema({ $id: base, components: closed(document.components) } as object);
const validators = new Map<string, ValidateFunction>();

/** Every object schema that lists properties, closed: no key may appear that it does not describe. */
function closed(value: unknown): any { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON in, JSON out
  if (Array.isArray(value)) return value.map(closed);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(item as Json).map(([name, schema]) => [name, closed(schema)])) : closed(item);
  if (isObjectSchema(out) && out.additionalProperties === undefined && out.unevaluatedProperties === undefined) out.unevaluatedProperties = false;
  return out;
}

function isObjectSchema(schema: Json): boolean {
  return typeof schema.properties === 'object' && (schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object')));
}

/** An inline schema's references to components, made absolute (they live in the document's schema). */
function absoluteRefs(value: unknown): any { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON in, JSON out
  if (Array.isArray(value)) return value.map(absoluteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? `${base}${item}` : absoluteRefs(item)]));
}

function validatorFor(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(typeof schema.$ref === 'string' ? { $ref: `${base}${schema.$ref}` } : absoluteRefs(closed(schema)));
    validators.set(key, validate);
  }
  return validate;
}

const resolve = (node: Json): Json => (typeof node.$ref === 'string' ? resolve(pointer(node.$ref)) : node);
function pointer(ref: string): Json {
  return ref.slice(2).split('/').reduce<Json>((node, segment) => node[segment], document);
}

// Compile every response and request schema now (see above).
for (const item of Object.values(document.paths) as Json[]) {
  for (const [method, operation] of Object.entries(item)) {
    if (method === 'parameters') continue;
    for (const response of Object.values(operation.responses as Json)) {
      for (const media of Object.values(resolve(response).content ?? {}) as Json[]) validatorFor(media.schema);
    }
    for (const media of Object.values(operation.requestBody?.content ?? {}) as Json[]) validatorFor(media.schema);
  }
}

/** The operation of a request: its path template and method in the document. */
function operationOf(method: string, path: string): { template: string; item: Json; operation?: Json } | undefined {
  for (const [template, item] of Object.entries(document.paths as Json)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return { template, item, operation: item[method.toLowerCase()] };
  }
  return undefined;
}

interface Exchange {
  method: string;
  path: string;
  contentType?: string;
  requestBody?: unknown;
  status: number;
  headers: Record<string, string>;
  text: string;
}

const exchanges: Exchange[] = [];

interface Call {
  query?: Record<string, string>;
  body?: unknown;
  /** Raw body text (sent as is). */
  raw?: string;
  type?: string;
  key?: boolean;
  accept?: string;
  headers?: Record<string, string>;
}

/** One request through supertest, recorded for the checks. */
async function call(server: ReturnType<Koa['callback']>, method: string, path: string, options: Call = {}) {
  let req = request(server)[method.toLowerCase() as 'get'](path);
  if (options.query) req = req.query(options.query);
  if (options.key) req = req.set('X-API-Key', KEY);
  if (options.accept) req = req.set('Accept', options.accept);
  for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
  const type = options.type ?? (options.body !== undefined || options.raw !== undefined ? 'application/json' : undefined);
  if (type) req = req.set('Content-Type', type);
  const res = await (options.raw !== undefined ? req.send(options.raw) : options.body !== undefined ? req.send(JSON.stringify(options.body)) : req);
  exchanges.push({
    method,
    path,
    ...(type ? { contentType: type } : {}),
    ...(options.body !== undefined ? { requestBody: options.body } : {}),
    status: res.status,
    headers: res.headers as Record<string, string>,
    text: res.text ?? '',
  });
  return res;
}

/** Everything the document says that this exchange contradicts. */
function mismatches(exchange: Exchange): string[] {
  const where = `${exchange.method} ${exchange.path} → ${exchange.status}`;
  const found = operationOf(exchange.method, exchange.path);
  if (!found) return [`${where}: no path of the document matches`];
  const { operation, item } = found;
  if (!operation) {
    if (exchange.status !== 405) return [`${where}: not an operation of the document, yet not answered 405`];
    const documented = Object.keys(item).filter((key) => key !== 'parameters').map((key) => key.toUpperCase());
    const expected = new Set([...documented, ...(documented.includes('GET') ? ['HEAD'] : []), 'OPTIONS']);
    const allow = new Set((exchange.headers.allow ?? '').split(', ').filter(Boolean));
    return [...expected].sort().join() === [...allow].sort().join() ? [] : [`${where}: Allow ${exchange.headers.allow} but the document lists ${[...expected].join(', ')}`];
  }
  const declared = operation.responses[String(exchange.status)];
  if (!declared) return [`${where}: status ${exchange.status} is not in the responses of ${operation.operationId}`];
  const response = resolve(declared);
  const problems: string[] = [];
  for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
    if (resolve(header).required && exchange.headers[name.toLowerCase()] === undefined) problems.push(`${where}: header ${name} missing`);
  }
  const content = response.content as Json | undefined;
  if (!content) {
    if (exchange.text !== '') problems.push(`${where}: a body, where the document says none`);
    return problems;
  }
  const type = (exchange.headers['content-type'] ?? '').split(';')[0]!;
  const media = content[type];
  if (!media) return [...problems, `${where}: content type ${type} is not one of ${Object.keys(content).join(', ')}`];
  const validate = validatorFor(media.schema);
  // NDJSON: every line is one value of the schema.
  const values = type === 'application/x-ndjson' ? exchange.text.split('\n').filter(Boolean) : [exchange.text];
  if (values.length === 0) problems.push(`${where}: an empty stream`);
  for (const text of values) {
    if (!validate(JSON.parse(text))) problems.push(`${where}: body ${text.slice(0, 300)} does not match: ${ajv.errorsText(validate.errors)}`);
  }
  // A request the server accepted must be one the document describes.
  if (exchange.status < 300 && exchange.requestBody !== undefined) {
    const requestMedia = operation.requestBody?.content?.[exchange.contentType ?? ''];
    if (!requestMedia) problems.push(`${where}: request content type ${exchange.contentType} is not documented`);
    else {
      const validateRequest = validatorFor(requestMedia.schema);
      if (!validateRequest(exchange.requestBody)) {
        problems.push(`${where}: the accepted request body ${JSON.stringify(exchange.requestBody)} does not match: ${ajv.errorsText(validateRequest.errors)}`);
      }
    }
  }
  return problems;
}

/** The requests: every operation with its success and error answers. */
async function drive(server: ReturnType<Koa['callback']>, models: ExampleModels): Promise<void> {
  const big = { title: 'x'.repeat(1_100_000), name: 'x'.repeat(1_100_000) };
  const missing = '0123456789abcdef01234567';
  const [ada] = (await models.User.find({ name: 'Ada Lovelace' }).lean()) as Json[];
  const [engine] = (await models.Post.find({ title: 'Notes on the Analytical Engine' }).lean()) as Json[];
  const [image] = (await models.Media.find({ __t: 'Image' }).lean()) as Json[];

  // Users
  await call(server, 'GET', '/api/users/');
  await call(server, 'GET', '/api/users/', { query: { _order_by: '-name', _fields: 'name,email', _count: '1', name__icontains: 'a', _skip: '1', _limit: '1' } });
  await call(server, 'GET', '/api/users/', { query: { _limit: 'many' } });
  await call(server, 'POST', '/api/users/', { body: { name: 'Grace', email: 'grace@example.com' } });
  const grace = await call(server, 'POST', '/api/users/', { key: true, body: { name: 'Grace', email: 'grace@example.com', created: '1906-12-09T00:00:00.000Z' } });
  await call(server, 'POST', '/api/users/', { key: true, body: { name: 'Nobody', email: 'not-an-email' } });
  await call(server, 'POST', '/api/users/', { key: true, body: { name: 'Grace again', email: 'grace@example.com' } });
  await call(server, 'POST', '/api/users/', { key: true, body: big });
  await call(server, 'POST', '/api/users/', { key: true, raw: 'name=x', type: 'text/plain' });
  const graceUrl = `/api/users/${grace.body.id}/`;
  await call(server, 'GET', graceUrl);
  await call(server, 'GET', graceUrl, { query: { _fields: '_all' } });
  await call(server, 'GET', `/api/users/${missing}/`);
  await call(server, 'PUT', graceUrl, { key: true, body: { name: 'Grace Hopper' } });
  await call(server, 'PUT', graceUrl, { body: { name: 'Grace Hopper' } });
  await call(server, 'PUT', graceUrl, { key: true, body: { name: '' } });
  await call(server, 'PUT', `/api/users/${missing}/`, { key: true, body: { name: 'x' } });
  await call(server, 'PUT', graceUrl, { key: true, body: { email: 'ada@example.com' } });
  await call(server, 'PUT', graceUrl, { key: true, body: big });
  await call(server, 'PUT', graceUrl, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'PUT', '/api/users/', { key: true, body: { name: 'x' } }); // no BulkUpdate: 405
  await call(server, 'PATCH', graceUrl, { key: true, body: { name: 'x' } }); // no Patch: 405
  // /api/users/me/ behind a JWT: a reader (no scope), a writer (profile:write), a user that does not exist.
  const bearer = async (id: string, ...scopes: string[]) => ({ Authorization: `Bearer ${await mintToken(id, scopes)}` });
  const reader = await bearer(String(ada!._id));
  const writer = await bearer(String(ada!._id), 'profile:write');
  const ghost = await bearer(missing, 'profile:write');
  await call(server, 'GET', '/api/users/me/', { headers: reader });
  await call(server, 'GET', '/api/users/me/');
  await call(server, 'GET', '/api/users/me/', { headers: { Authorization: 'Bearer not-a-token' } });
  await call(server, 'GET', '/api/users/me/', { headers: ghost });
  await call(server, 'PUT', '/api/users/me/', { headers: writer, body: { name: 'Ada Lovelace' } });
  await call(server, 'PUT', '/api/users/me/', { body: { name: 'x' } });
  await call(server, 'PUT', '/api/users/me/', { headers: reader, body: { name: 'x' } });
  await call(server, 'PUT', '/api/users/me/', { headers: writer, body: { name: '' } });
  await call(server, 'PUT', '/api/users/me/', { headers: ghost, body: { name: 'x' } });
  await call(server, 'PUT', '/api/users/me/', { headers: writer, body: { email: 'alan@example.com' } });
  await call(server, 'PUT', '/api/users/me/', { headers: writer, body: big });
  await call(server, 'PUT', '/api/users/me/', { headers: writer, raw: 'x', type: 'text/plain' });
  await call(server, 'PATCH', '/api/users/me/', { headers: writer, body: { name: 'x' } }); // no Patch: 405
  // A JWT user may not create users, nor change or delete anyone but themselves.
  await call(server, 'POST', '/api/users/', { headers: writer, body: { name: 'x', email: 'x@example.com' } });
  await call(server, 'PUT', graceUrl, { headers: writer, body: { name: 'x' } });
  await call(server, 'DELETE', graceUrl, { headers: writer });
  const leaving = await call(server, 'POST', '/api/users/', { key: true, body: { name: 'Leaving', email: 'leaving@example.com' } });
  const leaver = await bearer(leaving.body.id, 'profile:write');
  await call(server, 'DELETE', '/api/users/me/');
  await call(server, 'DELETE', '/api/users/me/', { headers: await bearer(leaving.body.id) });
  await call(server, 'DELETE', '/api/users/me/', { headers: leaver });
  await call(server, 'DELETE', '/api/users/me/', { headers: leaver });

  await call(server, 'DELETE', graceUrl);
  await call(server, 'DELETE', graceUrl, { key: true });
  await call(server, 'DELETE', graceUrl, { key: true });

  // Posts
  await call(server, 'GET', '/api/posts/');
  await call(server, 'GET', '/api/posts/', {
    query: {
      title__icontains: 'the',
      title__startswith: 'N',
      tags__in: 'history,ai',
      published: 'true',
      created__gte: '1800-01-01',
      created__lt: '2000-01-01T00:00:00Z',
      'content__lang': 'en',
      author: String(ada!._id),
      _order_by: '-created,title',
      _count: 'true',
    },
  });
  await call(server, 'GET', '/api/posts/', { query: { _fields: 'title,summary', _limit: '0' } });
  await call(server, 'GET', '/api/posts/', { accept: 'application/x-ndjson', query: { _order_by: 'title' } });
  await call(server, 'GET', '/api/posts/', { query: { _order_by: 'author' } });
  await call(server, 'POST', '/api/posts/', { body: { title: 'Anonymous' } });
  const post = await call(server, 'POST', '/api/posts/', {
    key: true,
    body: { title: 'Compilers', author: String(ada!._id), tags: ['programming'], content: { text: 'It is easier to ask forgiveness.', lang: 'en' }, published: false },
  });
  await call(server, 'POST', '/api/posts/', { key: true, body: { title: 'By object', author: { id: String(ada!._id), name: 'Ada Lovelace' } } });
  await call(server, 'POST', '/api/posts/', { key: true, body: { tags: ['no title'] } });
  await call(server, 'POST', '/api/posts/', { key: true, body: big });
  await call(server, 'POST', '/api/posts/', { key: true, raw: 'x', type: 'text/plain' });
  const postUrl = `/api/posts/${post.body.id}/`;
  await call(server, 'GET', postUrl);
  await call(server, 'GET', `/api/posts/${engine!._id}/`, { query: { _fields: 'title,author,summary' } });
  await call(server, 'GET', '/api/posts/not-an-id/');
  await call(server, 'PUT', postUrl, { key: true, body: { published: true, author: null } });
  await call(server, 'PUT', postUrl, { body: { published: true } });
  await call(server, 'PUT', postUrl, { key: true, body: { title: 'y'.repeat(300) } });
  await call(server, 'PUT', `/api/posts/${missing}/`, { key: true, body: { title: 'x' } });
  await call(server, 'PUT', postUrl, { key: true, body: big });
  await call(server, 'PUT', postUrl, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'PATCH', postUrl, { key: true, type: 'application/merge-patch+json', body: { content: { lang: 'fr' } } });
  await call(server, 'PATCH', postUrl, { key: true, body: { tags: ['compilers'] } });
  await call(server, 'PATCH', postUrl, { key: true, type: 'application/json-patch+json', body: [{ op: 'add', path: '/tags/-', value: 'cobol' }, { op: 'test', path: '/title', value: 'Compilers' }] });
  await call(server, 'PATCH', postUrl, { type: 'application/merge-patch+json', body: { title: 'x' } });
  await call(server, 'PATCH', postUrl, { key: true, type: 'application/json-patch+json', body: { op: 'add' } });
  await call(server, 'PATCH', postUrl, { key: true, type: 'application/json-patch+json', body: [{ op: 'test', path: '/title', value: 'Other' }] });
  await call(server, 'PATCH', `/api/posts/${missing}/`, { key: true, type: 'application/merge-patch+json', body: { title: 'x' } });
  await call(server, 'PATCH', postUrl, { key: true, type: 'application/merge-patch+json', body: big });
  await call(server, 'PATCH', postUrl, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'PUT', '/api/posts/', { key: true, query: { title: 'Compilers' }, body: { published: false } });
  await call(server, 'PUT', '/api/posts/', { key: true, query: { titel: 'Compilers' }, body: { published: false } });
  await call(server, 'PUT', '/api/posts/', { query: { title: 'Compilers' }, body: { published: false } });
  await call(server, 'PUT', '/api/posts/', { key: true, query: { title: 'Compilers' }, body: big });
  await call(server, 'PUT', '/api/posts/', { key: true, query: { title: 'Compilers' }, raw: 'x', type: 'text/plain' });
  await call(server, 'GET', '/api/posts/schema');
  // The custom action: POST <post>/publish/
  await call(server, 'POST', `${postUrl}publish/`);
  await call(server, 'POST', `${postUrl}publish/`, { key: true, query: { _fields: 'title,published' } });
  await call(server, 'POST', `${postUrl}publish/`, { key: true, body: { note: 'an optional body' } });
  await call(server, 'POST', `/api/posts/${missing}/publish/`, { key: true });
  await call(server, 'POST', `${postUrl}publish/`, { key: true, body: big });
  await call(server, 'POST', `${postUrl}publish/`, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'POST', `${postUrl}publish/`, { key: true, raw: '{bad' });
  await call(server, 'GET', `${postUrl}publish/`); // 405: POST only
  await call(server, 'DELETE', postUrl);
  await call(server, 'DELETE', postUrl, { key: true });
  await call(server, 'DELETE', postUrl, { key: true });

  // Comments: nested under their post
  const comments = `/api/posts/${engine!._id}/comments/`;
  const page = await call(server, 'GET', comments, { query: { _order_by: '-created', _count: '1' } });
  await call(server, 'GET', comments, { query: { _order_by: '-created', _count: '1' }, headers: { 'If-None-Match': page.headers.etag! } });
  await call(server, 'GET', comments, { query: { _order_by: 'text' } });
  await call(server, 'GET', `/api/posts/${missing}/comments/`);
  await call(server, 'GET', '/api/posts/not-an-id/comments/');
  await call(server, 'POST', comments, { body: { author: 'Anonymous', text: 'x' } });
  await call(server, 'POST', comments, { key: true, body: { author: 'Grace Hopper', text: 'A ship in port is safe.' } });
  await call(server, 'POST', comments, { key: true, body: { author: 'Grace Hopper', text: 'Again.', post: String(engine!._id) } });
  await call(server, 'POST', comments, { key: true, body: { author: 'Grace Hopper', text: 'Elsewhere.', post: missing } });
  await call(server, 'POST', comments, { key: true, body: { text: 'no author' } });
  await call(server, 'POST', `/api/posts/${missing}/comments/`, { key: true, body: { author: 'x', text: 'x' } });
  await call(server, 'POST', comments, { key: true, body: big });
  await call(server, 'POST', comments, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'DELETE', comments, { key: true }); // no BulkDelete: 405

  // Media: one collection, several types
  await call(server, 'GET', '/api/media/');
  await call(server, 'GET', '/api/media/', { query: { type: 'Video', _fields: 'title,seconds' } });
  await call(server, 'GET', '/api/media/', { query: { _limit: '-1' } });
  await call(server, 'POST', '/api/media/', { body: { type: 'Image', title: 'x', url: 'https://example.com/x.png', width: 1, height: 1 } });
  const portrait = await call(server, 'POST', '/api/media/', { key: true, body: { type: 'Image', title: 'Portrait', url: 'https://example.com/p.png', width: 400, height: 500, post: String(engine!._id) } });
  await call(server, 'POST', '/api/media/', { key: true, body: { title: 'Base', url: 'https://example.com/base' } });
  await call(server, 'POST', '/api/media/', { key: true, body: { type: 'Video', title: 'Clip', url: 'https://example.com/clip.mp4' } });
  await call(server, 'POST', '/api/media/', { key: true, body: big });
  await call(server, 'POST', '/api/media/', { key: true, raw: 'x', type: 'text/plain' });
  const mediaUrl = `/api/media/${portrait.body.id}/`;
  await call(server, 'GET', `/api/media/${image!._id}/`);
  await call(server, 'GET', `/api/media/${missing}/`);
  await call(server, 'PUT', mediaUrl, { key: true, body: { width: 401 } });
  await call(server, 'PUT', mediaUrl, { body: { width: 401 } });
  await call(server, 'PUT', mediaUrl, { key: true, body: { width: 0 } });
  await call(server, 'PUT', `/api/media/${missing}/`, { key: true, body: { width: 1 } });
  await call(server, 'PUT', mediaUrl, { key: true, body: big });
  await call(server, 'PUT', mediaUrl, { key: true, raw: 'x', type: 'text/plain' });
  await call(server, 'DELETE', mediaUrl);
  await call(server, 'DELETE', mediaUrl, { key: true });
  await call(server, 'DELETE', mediaUrl, { key: true });
}

/** Conditional requests: a current copy (If-None-Match) → 304, a stale one (If-Match) → 412. */
async function driveConditional(server: ReturnType<Koa['callback']>): Promise<void> {
  for (const name of ['users', 'posts', 'media']) {
    const page = await call(server, 'GET', `/api/${name}/`);
    await call(server, 'GET', `/api/${name}/`, { headers: { 'If-None-Match': page.headers.etag! } });
    const url = `/api/${name}/${page.body.data[0].id}/`;
    const item = await call(server, 'GET', url);
    await call(server, 'GET', url, { headers: { 'If-None-Match': item.headers.etag! } });
    const stale = { 'If-Match': '"0123456789"' };
    for (const [method, path] of Object.entries(document.paths[`/api/${name}/{id}/`]).filter(([method]) => method !== 'parameters')) {
      void path;
      if (method === 'get') continue;
      const type = method === 'patch' ? 'application/merge-patch+json' : undefined;
      await call(server, method.toUpperCase(), url, { key: true, headers: stale, ...(method === 'delete' ? {} : { body: {}, ...(type ? { type } : {}) }) });
    }
    if (document.paths[`/api/${name}/`].put) await call(server, 'PUT', `/api/${name}/`, { key: true, headers: stale, query: { title: 'Notes on the Analytical Engine' }, body: {} });
  }
  // The same through the alias /api/users/me/.
  const user = await call(server, 'GET', '/api/users/', { query: { _limit: '1' } });
  const writer = { Authorization: `Bearer ${await mintToken(user.body.data[0].id, ['profile:write'])}` };
  const me = await call(server, 'GET', '/api/users/me/', { headers: writer });
  await call(server, 'GET', '/api/users/me/', { headers: { ...writer, 'If-None-Match': me.headers.etag! } });
  await call(server, 'PUT', '/api/users/me/', { headers: { ...writer, 'If-Match': '"0123456789"' }, body: {} });
  await call(server, 'DELETE', '/api/users/me/', { headers: { ...writer, 'If-Match': '"0123456789"' } });
}

/** An Accept that allows no JSON: every operation answers 406 before anything else. */
async function driveNotAcceptable(server: ReturnType<Koa['callback']>): Promise<void> {
  for (const [template, item] of Object.entries(document.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      if (method === 'parameters' || !('406' in operation.responses)) continue;
      const path = template.replace('{id}', '0123456789abcdef01234567');
      const res = await call(server, method.toUpperCase(), path, { accept: 'text/html', key: true, ...(method === 'get' || method === 'delete' ? {} : { body: {} }) });
      void res;
    }
  }
}

/**
 * Writes whose command reached the database but were never answered (a TCP proxy holds the replies from
 * that command on): each answers 504. While one is held, a second request with its `Idempotency-Key`
 * answers 409 (still in flight) and a different request with that key 422; a key of 256 characters is
 * a 400. Each write gets its own proxy and app, so they run side by side.
 */
async function driveUnknownOutcome(server: ReturnType<Koa['callback']>, models: ExampleModels, uri: string, dbName: string): Promise<void> {
  const [ada] = (await models.User.find({ name: 'Ada Lovelace' }).lean()) as Json[];
  const user = () => models.User.create({ name: 'Temp', email: `temp-${new mongoose.Types.ObjectId()}@example.com` });
  const post = () => models.Post.create({ title: `Temp ${new mongoose.Types.ObjectId()}`, author: ada!._id });
  const image = () => models.Image.create({ title: 'Temp', url: 'https://example.com/t.png', width: 1, height: 1 });
  // The bytes that only the write command of each request carries: a marker in its body, or the key of
  // a delete command's statements.
  const deletes = 'deletes\u0000';
  interface Write {
    method: string;
    path: string;
    body?: (marker: string) => Json;
    query?: Record<string, string>;
    type?: string;
    /** Another request (422 with the same key): another body, or another URL for a delete. */
    otherPath?: string;
    /** …or the same URL with another query. */
    otherQuery?: Record<string, string>;
    headers?: Record<string, string>;
    /** The bytes that only its write command carries, when neither a body marker nor a delete. */
    hold?: string;
    /** `false` for a custom action: it does not honour Idempotency-Key, so the key answers are not asked. */
    keyed?: false;
  }
  const marker = () => `m${new mongoose.Types.ObjectId()}`;
  const [u1, u2, u3, u4, u5, p1, p2, p3, p4, p5, i1, i2, i3] = await Promise.all([user(), user(), user(), user(), user(), post(), post(), post(), post(), post(), image(), image(), image()]);
  const bearer = async (id: unknown) => ({ Authorization: `Bearer ${await mintToken(String(id), ['profile:write'])}` });
  const writes: Write[] = [
    { method: 'POST', path: '/api/users/', body: (m) => ({ name: m, email: `${m}@example.com` }) },
    { method: 'PUT', path: `/api/users/${u1!._id}/`, body: (m) => ({ name: m }) },
    { method: 'DELETE', path: `/api/users/${u2!._id}/`, otherPath: `/api/users/${u3!._id}/` },
    { method: 'PUT', path: '/api/users/me/', body: (m) => ({ name: m }), headers: await bearer(u4!._id) },
    { method: 'DELETE', path: '/api/users/me/', otherQuery: { other: '1' }, headers: await bearer(u5!._id) },
    { method: 'POST', path: '/api/posts/', body: (m) => ({ title: m }) },
    { method: 'PUT', path: `/api/posts/${p1!._id}/`, body: (m) => ({ title: m }) },
    { method: 'PATCH', path: `/api/posts/${p2!._id}/`, body: (m) => ({ title: m }), type: 'application/merge-patch+json' },
    { method: 'PUT', path: '/api/posts/', query: { title: String(p3!.title) }, body: (m) => ({ title: m }) },
    { method: 'DELETE', path: `/api/posts/${p4!._id}/`, otherPath: `/api/posts/${p1!._id}/` },
    { method: 'POST', path: '/api/media/', body: (m) => ({ type: 'Video', title: m, url: 'https://example.com/v.mp4', seconds: 2 }) },
    { method: 'PUT', path: `/api/media/${i1!._id}/`, body: (m) => ({ title: m }) },
    { method: 'DELETE', path: `/api/media/${i2!._id}/`, otherPath: `/api/media/${i3!._id}/` },
    // The custom action's save: the only update command its request sends.
    { method: 'POST', path: `/api/posts/${p5!._id}/publish/`, hold: 'updates\u0000', keyed: false },
    { method: 'POST', path: `/api/posts/${p3!._id}/comments/`, body: (m) => ({ author: 'Temp', text: m }) },
  ];
  for (const write of writes.filter((each) => each.keyed !== false)) {
    await call(server, write.method, write.path, { key: true, headers: { ...write.headers, 'Idempotency-Key': 'k'.repeat(256) }, ...(write.query ? { query: write.query } : {}) });
  }
  await Promise.all(
    writes.map(async (write) => {
      const proxy = await TcpProxy.start(uri);
      const connection = mongoose.createConnection(proxy.uri(dbName), { heartbeatFrequencyMS: 500, connectTimeoutMS: 20_000 });
      connection.on('error', () => undefined);
      try {
        await connection.asPromise();
        const held = createApp(defineModels(connection), { apiKey: KEY }).callback();
        // On a loaded machine a read before the write can miss the 2 s deadline (503, nothing sent): try
        // again, a few times, until a write is held.
        for (let attempt = 0; attempt < 3; attempt++) {
          const m = marker();
          // Not the marker: the key is stored in the idempotency record, written before the held write.
          const key = { key: true, headers: { ...write.headers, 'Idempotency-Key': `key-${marker()}` }, ...(write.query ? { query: write.query } : {}), ...(write.type ? { type: write.type } : {}) };
          const sent = proxy.holdAfterRequestContaining(write.hold ?? (write.body ? m : deletes)).then(() => true);
          const first = call(held, write.method, write.path, { ...key, ...(write.body ? { body: write.body(m) } : {}) });
          if (!(await Promise.race([sent, first.then(() => false)]))) continue;
          if (write.keyed !== false) {
            await call(server, write.method, write.path, { ...key, ...(write.body ? { body: write.body(m) } : {}) });
            await call(server, write.method, write.otherPath ?? write.path, { ...key, ...(write.otherQuery ? { query: write.otherQuery } : {}), ...(write.body ? { body: write.body(`${m}-other`) } : {}) });
          }
          await first;
          return;
        }
      } finally {
        proxy.release();
        await connection.close(true).catch(() => undefined);
        await proxy.stop();
      }
    }),
  );
}

/** With the database down, every operation that reaches it answers 503 (+ Retry-After). */
async function driveDown(server: ReturnType<Koa['callback']>): Promise<void> {
  const id = '0123456789abcdef01234567';
  const writer = { Authorization: `Bearer ${await mintToken(id, ['profile:write'])}` };
  await Promise.all([
    call(server, 'GET', '/api/users/me/', { headers: writer }),
    call(server, 'PUT', '/api/users/me/', { headers: writer, body: { name: 'x' } }),
    call(server, 'DELETE', '/api/users/me/', { headers: writer }),
    ...['users', 'posts', 'media'].flatMap((name) => [
      call(server, 'GET', `/api/${name}/`),
      call(server, 'GET', `/api/${name}/${id}/`),
      call(server, 'PUT', `/api/${name}/${id}/`, { key: true, body: { title: 'x' } }),
      call(server, 'DELETE', `/api/${name}/${id}/`, { key: true }),
    ]),
    call(server, 'POST', '/api/users/', { key: true, body: { name: 'x', email: 'x@example.com' } }),
    call(server, 'POST', '/api/posts/', { key: true, body: { title: 'x' } }),
    call(server, 'POST', '/api/media/', { key: true, body: { type: 'Video', title: 'x', url: 'https://example.com/x', seconds: 1 } }),
    call(server, 'PATCH', `/api/posts/${id}/`, { key: true, type: 'application/merge-patch+json', body: { title: 'x' } }),
    call(server, 'POST', `/api/posts/${id}/publish/`, { key: true }),
    call(server, 'PUT', '/api/posts/', { key: true, query: { title: 'x' }, body: { published: true } }),
    call(server, 'GET', `/api/posts/${id}/comments/`),
    call(server, 'POST', `/api/posts/${id}/comments/`, { key: true, body: { author: 'x', text: 'x' } }),
  ]);
}

test('every response of the example app matches its OpenAPI document, and every documented status is given', async (t) => {
  t.timeout(180_000);
  const models = defineModels((await database.ready).connection);
  await Promise.all([models.User.init(), models.Post.init(), models.Comment.init(), models.Media.init()]);
  await seed(models);
  const app = createApp(models, { apiKey: KEY }).callback();
  await drive(app, models);
  await driveNotAcceptable(app);
  await driveConditional(app);
  const { uri, dbName } = await database.ready;
  await driveUnknownOutcome(app, models, uri, dbName);

  // A database that is down: a connection to a port nothing listens on.
  const down = mongoose.createConnection('mongodb://127.0.0.1:9/contract', { serverSelectionTimeoutMS: 500 });
  down.on('error', () => undefined);
  try {
    await driveDown(createApp(defineModels(down), { apiKey: KEY }).callback());
  } finally {
    await down.close().catch(() => undefined);
  }

  const problems = exchanges.flatMap(mismatches);
  t.deepEqual(problems, [], 'responses the document does not describe');

  // Coverage: each status each operation documents was answered at least once.
  const seen = new Set(exchanges.map((exchange) => {
    const found = operationOf(exchange.method, exchange.path);
    return `${found?.operation?.operationId} ${exchange.status}`;
  }));
  const unseen: string[] = [];
  for (const item of Object.values(document.paths) as Json[]) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === 'parameters') continue;
      for (const status of Object.keys(operation.responses)) {
        if (!seen.has(`${operation.operationId} ${status}`)) unseen.push(`${operation.operationId} ${status}`);
      }
    }
  }
  t.deepEqual(unseen, [], 'statuses the document lists that no request produced');
  t.true(exchanges.length > 90, `only ${exchanges.length} requests`);
});
