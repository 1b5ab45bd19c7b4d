/**
 * The OpenAPI 3.1 document (issue 13): generated from the registered views, valid against the OpenAPI
 * schema, served at `<prefix>/openapi.json`, with the per-view `<collection URL>schema` endpoint. The
 * document's content is pinned on the example app; small apps pin authentication, permissions and
 * configuration errors. (Responses matching the document: openapi-contract.test.ts.)
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApi, createApp } from '../example/api.js';
import { defineModels, type ExampleModels } from '../example/models.js';
import { seed } from '../example/seed.js';
import {
  AnonymousAuthentication,
  ApiKeyAuthentication,
  AuthenticationBase,
  BearerAuthentication,
  JwtAuthentication,
  MongoRest,
  Resource,
  ResourceView,
  action,
  all,
  allow,
  any,
  authenticated,
  methods,
  ops,
  role,
  scope,
  type AnyDocument,
  type AnyModel,
  type OpenApiDocument,
  type PlainDocument,
  type RequestContext,
} from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { TestMongoRest } from './fixtures/mongorest.js';
import { assertValidOpenApi, openApiAjv } from './fixtures/openapi.js';

const database = useTestDatabase(test, import.meta.url);
let models: ExampleModels;
let document: OpenApiDocument;
let server: ReturnType<Koa['callback']>;

test.before(async () => {
  models = defineModels((await database.ready).connection);
  await Promise.all([models.User.init(), models.Post.init(), models.Comment.init(), models.Media.init()]);
  await seed(models);
  document = await assertValidOpenApi(createApi(models, { apiKey: 'key' }));
  server = createApp(models, { apiKey: 'key' }).callback();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading a JSON document
const doc = () => document as unknown as Json;
const schemaOf = (name: string): Json => doc().components.schemas[name];
const parameterNames = (operation: Json) => (operation.parameters as Json[] | undefined)?.map((parameter) => parameter.name) ?? [];

let modelCount = 0;
function freshModel(shape: Record<string, unknown> = { title: { type: String, required: true } }): AnyModel {
  return database().connection.model(`OpenApiDoc${++modelCount}`, new mongoose.Schema(shape));
}

test('the example app describes one path item per collection and item URL, one operation per enabled method', (t) => {
  t.is(document.openapi, '3.1.0');
  t.deepEqual(document.info, {
    title: 'Example blog API',
    version: '1.0.0',
    description: 'Users, posts and media. Reads are open; writes need `X-API-Key`.',
  });
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => method !== 'parameters')
      .map(([method, operation]) => `${method.toUpperCase()} ${path} ${(operation as Json).operationId}`),
  );
  t.deepEqual(operations, [
    'GET /api/users/ listUsers',
    'POST /api/users/ createUser',
    'GET /api/users/me/ fetchUserMe',
    'PUT /api/users/me/ updateUserMe',
    'DELETE /api/users/me/ deleteUserMe',
    'GET /api/users/{id}/ fetchUser',
    'PUT /api/users/{id}/ updateUser',
    'DELETE /api/users/{id}/ deleteUser',
    'GET /api/posts/ listPosts',
    'POST /api/posts/ createPost',
    'PUT /api/posts/ bulkUpdatePosts',
    'GET /api/posts/{id}/ fetchPost',
    'PUT /api/posts/{id}/ updatePost',
    'PATCH /api/posts/{id}/ patchPost',
    'DELETE /api/posts/{id}/ deletePost',
    'POST /api/posts/{id}/publish/ publishPost',
    'GET /api/posts/schema getPostSchema',
    'GET /api/posts/{postId}/comments/ listPostComments',
    'POST /api/posts/{postId}/comments/ createPostComment',
    'GET /api/media/ listMedia',
    'POST /api/media/ createMedia',
    'GET /api/media/{id}/ fetchMedia',
    'PUT /api/media/{id}/ updateMedia',
    'DELETE /api/media/{id}/ deleteMedia',
  ]);
  t.deepEqual(
    document.tags.map((tag) => tag.name),
    ['Users', 'Posts', 'PostComments', 'Media'],
  );
  t.deepEqual(doc().paths['/api/posts/'].get.tags, ['Posts']);
  t.is(doc().paths['/api/posts/'].get.summary, 'List posts');
  t.deepEqual(doc().paths['/api/posts/{id}/'].parameters, [
    { name: 'id', in: 'path', required: true, description: 'The document’s id (an id that cannot be one answers 404).', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } },
  ]);
});

test('list parameters: paging with maxLimit, _fields and _order_by as enums, _count, one per filter key and operator', (t) => {
  const list = doc().paths['/api/posts/'].get;
  t.deepEqual(parameterNames(list), [
    '_skip',
    '_limit',
    '_after',
    '_fields',
    '_order_by',
    '_count',
    'title',
    'title__icontains',
    'title__startswith',
    'author',
    'tags',
    'tags__in',
    'published',
    'created__gte',
    'created__lt',
    'content__lang',
    'If-None-Match',
  ]);
  const byName = Object.fromEntries((list.parameters as Json[]).map((parameter) => [parameter.name, parameter]));
  t.deepEqual(byName._limit.schema, { type: 'integer', minimum: 0, maximum: 100, default: 20 });
  t.deepEqual(byName._fields.schema.items.enum, ['id', 'title', 'author', 'content', 'tags', 'published', 'created', 'summary', '_all']);
  t.is(byName._fields.style, 'form');
  t.false(byName._fields.explode);
  t.deepEqual(byName._order_by.schema.items.enum, ['title', '-title', 'created', '-created']);
  t.deepEqual(byName._count.schema, { type: 'boolean' });
  t.deepEqual(byName.title__startswith.schema, { type: 'string', maxLength: 200 });
  t.deepEqual(byName.author.schema, { type: 'string', pattern: '^[0-9a-fA-F]{24}$' });
  t.deepEqual(byName.tags__in.schema, { type: 'array', items: { type: 'string' } });
  t.like(byName.tags__in, { style: 'form', explode: false });
  t.deepEqual(byName.published.schema, { type: 'boolean' });
  t.deepEqual(byName.created__gte.schema, { type: 'string', format: 'date-time' });
  // Bulk updates take the filters (strictly) and the write headers; item methods take _fields and the
  // conditional (and, on writes, idempotency) headers.
  t.deepEqual(parameterNames(doc().paths['/api/posts/'].put), [...parameterNames(list).slice(6, -1), 'If-Match', 'Idempotency-Key']);
  t.deepEqual(parameterNames(doc().paths['/api/posts/{id}/'].get), ['_fields', 'If-None-Match']);
  t.deepEqual(parameterNames(doc().paths['/api/posts/{id}/'].delete), ['If-Match', 'Idempotency-Key']);
  t.like(byName['If-None-Match'], { in: 'header', schema: { type: 'string' } });
  t.false('required' in byName['If-None-Match']);
});

test('resource schemas follow fields, renames, relations and computedSchemas', (t) => {
  const post = schemaOf('Post');
  t.deepEqual(Object.keys(post.properties), ['id', 'title', 'author', 'content', 'tags', 'published', 'created', 'summary']);
  t.deepEqual(post.properties.id, { type: 'string', pattern: '^[0-9a-fA-F]{24}$', readOnly: true });
  t.deepEqual(post.properties.title, { type: 'string', maxLength: 200 });
  t.deepEqual(post.properties.author, { anyOf: [{ $ref: '#/components/schemas/Author' }, { type: 'null' }] });
  t.deepEqual(post.properties.tags, { type: ['array', 'null'], items: { type: 'string', maxLength: 30 } });
  t.deepEqual(post.properties.created, { type: ['string', 'null'], format: 'date-time' });
  t.deepEqual(post.properties.summary, { type: 'string', maxLength: 60, description: 'The first words of the content.' });
  t.deepEqual(Object.keys(schemaOf('Author').properties), ['id', 'name']);
  t.deepEqual(schemaOf('User').properties.email, { type: 'string' });

  // Input: required fields required on create only; id, computed fields and unknown keys are not inputs.
  t.deepEqual(schemaOf('PostCreate').required, ['title']);
  t.false('required' in schemaOf('PostUpdate'));
  t.deepEqual(Object.keys(schemaOf('PostCreate').properties), ['title', 'author', 'content', 'tags', 'published', 'created']);
  t.deepEqual(schemaOf('UserCreate').required, ['name', 'email']);
  const author = schemaOf('PostCreate').properties.author;
  t.deepEqual(author.anyOf[1], { type: 'null' });
  t.is(author.anyOf[0].anyOf[0].pattern, '^[0-9a-fA-F]{24}$');

  // The list envelope.
  t.deepEqual(schemaOf('PostList'), {
    type: 'object',
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/Post' } },
      has_more: { type: 'boolean', description: 'Whether more documents follow this page.' },
      next: { type: 'string', description: 'With `_after`: the cursor of the next page, while more follow.' },
      total: { type: 'integer', minimum: 0, description: 'Matching documents, ignoring `_skip`/`_limit` (with `_count`).' },
    },
    required: ['data', 'has_more'],
  });
});

test('a polymorphic resource is a oneOf with a discriminator mapping, for output and create', (t) => {
  const media = schemaOf('Media');
  t.deepEqual(media.discriminator, {
    propertyName: 'type',
    mapping: { Image: '#/components/schemas/Image', Video: '#/components/schemas/Video' },
  });
  t.is(media.oneOf.length, 4);
  t.deepEqual(schemaOf('Image').properties.type, { const: 'Image' });
  t.deepEqual(schemaOf('Image').properties.width, { type: 'number', minimum: 1 });
  t.deepEqual(schemaOf('MediaBase').properties.type, { type: 'null' });
  const create = schemaOf('MediaCreate');
  t.deepEqual(create.discriminator.mapping, {
    Image: '#/components/schemas/ImageCreate',
    Video: '#/components/schemas/VideoCreate',
    Media: '#/components/schemas/MediaBaseCreate',
  });
  t.deepEqual(schemaOf('VideoCreate').required, ['title', 'url', 'seconds']);
  t.truthy(schemaOf('MediaUpdate').anyOf);

  // The branches are exclusive: a body or document matches exactly the branch of its type.
  const ajv = openApiAjv();
  ajv.addSchema({ $id: 'https://openapi.test/doc.json', components: document.components } as object);
  const output = ajv.getSchema('https://openapi.test/doc.json#/components/schemas/Media')!;
  const input = ajv.getSchema('https://openapi.test/doc.json#/components/schemas/MediaCreate')!;
  const id = '0123456789abcdef01234567';
  t.true(output({ id, type: 'Image', title: 'x', url: 'https://e.com', post: null, width: 1, height: 2 }));
  t.true(output({ title: 'x' }), 'without the type (`_fields`), any type matches');
  t.false(output({ id, type: 'Image', title: 'x', url: 'https://e.com', post: null, width: 'wide' }));
  t.true(input({ type: 'Video', title: 'v', url: 'https://e.com', seconds: 3 }));
  t.false(input({ type: 'Video', title: 'v', url: 'https://e.com' }), 'seconds is required for a Video');
  t.true(input({ title: 'base', url: 'https://e.com' }), 'no type: the base type');
  t.false(input({ type: 'Sound', title: 'v', url: 'https://e.com' }));
});

test('responses: envelopes, 201 with Location, 204, and only the errors each operation can give', (t) => {
  const statuses = (path: string, method: string) => Object.keys(doc().paths[path][method].responses);
  t.deepEqual(statuses('/api/posts/', 'get'), ['200', '304', '400', '406', '503']);
  // The example honours Idempotency-Key: every write can also be 400 (bad key), 409 (same key in flight),
  // 422 (key reused for another request); and 504 once a write may have been sent.
  t.deepEqual(statuses('/api/posts/', 'post'), ['201', '400', '401', '406', '409', '413', '415', '422', '503', '504']);
  t.deepEqual(statuses('/api/posts/', 'put'), ['200', '400', '401', '406', '409', '412', '413', '415', '422', '503', '504']);
  t.deepEqual(statuses('/api/posts/{id}/', 'get'), ['200', '304', '404', '406', '503']);
  t.deepEqual(statuses('/api/posts/{id}/', 'put'), ['200', '400', '401', '404', '406', '409', '412', '413', '415', '422', '503', '504']);
  t.deepEqual(statuses('/api/posts/{id}/', 'delete'), ['204', '400', '401', '404', '406', '409', '412', '422', '503', '504']);
  // A JSON Patch that does not apply is a 409, whatever the indexes.
  t.deepEqual(statuses('/api/posts/{id}/', 'patch'), ['200', '400', '401', '404', '406', '409', '412', '413', '415', '422', '503', '504']);
  t.deepEqual(Object.keys(doc().paths['/api/posts/{id}/'].patch.requestBody.content), ['application/merge-patch+json', 'application/json', 'application/json-patch+json']);
  // Users have a unique index: their writes can conflict.
  // Users: Create is role('writer'), Update a role or a scope, both refused with 403 to JWT users.
  t.deepEqual(statuses('/api/users/', 'post'), ['201', '400', '401', '403', '406', '409', '413', '415', '422', '503', '504']);
  t.deepEqual(statuses('/api/users/{id}/', 'put'), ['200', '400', '401', '403', '404', '406', '409', '412', '413', '415', '422', '503', '504']);
  // The alias /api/users/me/: a 401 even where the item URL has none (no pk for an anonymous caller).
  t.deepEqual(statuses('/api/users/{id}/', 'get'), ['200', '304', '404', '406', '503']);
  t.deepEqual(statuses('/api/users/me/', 'get'), ['200', '304', '401', '404', '406', '503']);
  t.deepEqual(statuses('/api/users/me/', 'put'), statuses('/api/users/{id}/', 'put'));
  t.deepEqual(statuses('/api/posts/schema', 'get'), ['200']);
  t.deepEqual(doc().paths['/api/posts/'].post.responses['201'].headers, {
    ETag: { $ref: '#/components/headers/ETag' },
    Location: { $ref: '#/components/headers/Location' },
    'Cache-Control': { $ref: '#/components/headers/CacheControl' },
    'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
  });
  t.deepEqual(doc().paths['/api/posts/{id}/'].delete.responses['204'], {
    description: 'Deleted.',
    headers: { 'Cache-Control': { $ref: '#/components/headers/CacheControl' }, 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } },
  });
  t.deepEqual(doc().paths['/api/posts/'].put.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/BulkUpdateResult' });
  t.deepEqual(Object.keys(doc().components.responses), [
    'NotModified',
    'BadRequest',
    'Unauthorized',
    'Forbidden',
    'NotFound',
    'MethodNotAllowed',
    'NotAcceptable',
    'Conflict',
    'PreconditionFailed',
    'PreconditionRequired',
    'PayloadTooLarge',
    'UnsupportedMediaType',
    'IdempotencyKeyReused',
    'ServiceUnavailable',
    'GatewayTimeout',
  ]);
});

test('custom actions: an operation per action at its URL, with its body, answers and refusals', async (t) => {
  const Model = freshModel();
  class Things extends Resource {
    document = Model;
    fields = ['id', 'title'];
  }
  const handler = () => undefined;
  class ThingView extends ResourceView {
    resource = Things;
    methods = [methods.Fetch];
    override actions = [
      action({ name: 'publish', target: 'item', summary: 'Publish a thing', responseSchema: 'document', handler }),
      action({ name: 'publish-all', target: 'collection', description: 'Publishes every thing.', requestSchema: { type: 'object', properties: { titles: { type: 'array' } } }, handler }),
      action({ name: 'stats', target: 'collection', verb: 'GET', responseSchema: { type: 'object', properties: { count: { type: 'integer' } } }, handler }),
      action({ name: 'archive', target: 'item', verb: 'DELETE', handler }),
      action({ name: 'fetch', target: 'item', verb: 'GET', handler }),
    ];
    authenticationMethods = [new ApiKeyAuthentication({ keys: ['k'] }), AnonymousAuthentication];
    permissions = { Fetch: allow, publish: authenticated, 'publish-all': role('admin'), stats: allow, fetch: allow };
  }
  const api = new TestMongoRest({ prefix: '/x' });
  api.register(ThingView, { url: '/things/', name: 'thing' });
  const described = (await assertValidOpenApi(api)) as unknown as Json;
  const operations = Object.entries(described.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => method !== 'parameters')
      .map(([method, operation]) => `${method.toUpperCase()} ${path} ${(operation as Json).operationId} ${Object.keys((operation as Json).responses).join(',')}`),
  );
  t.deepEqual(operations, [
    'GET /x/things/{id}/ fetchThing 200,304,404,406,503',
    'POST /x/things/{id}/publish/ publishThing 200,400,401,404,406,413,415,503,504',
    'POST /x/things/publish-all/ publishAllThings 200,204,400,401,403,406,413,415,503,504',
    'GET /x/things/stats/ statsThings 200,406,503',
    'DELETE /x/things/{id}/archive/ archiveThing 200,204,400,403,404,406,413,415,503,504',
    // The view's Fetch took `fetchThing`: the action's id gets a number.
    'GET /x/things/{id}/fetch/ fetchThing2 200,204,404,406,503',
  ]);
  const publish = described.paths['/x/things/{id}/publish/'];
  t.deepEqual(publish.parameters, described.paths['/x/things/{id}/'].parameters);
  t.is(publish.post.summary, 'Publish a thing');
  t.deepEqual(publish.post.parameters.map((parameter: Json) => parameter.name), ['_fields']);
  t.deepEqual(publish.post.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/Things' });
  t.deepEqual(publish.post.requestBody, { required: false, content: { 'application/json': { schema: {} } } });
  t.deepEqual(publish.post.security, [{ ApiKey: [] }]);
  const publishAll = described.paths['/x/things/publish-all/'].post;
  t.is(publishAll.summary, 'publish-all (action on things)');
  t.is(publishAll.description, 'Publishes every thing.');
  t.deepEqual(publishAll.requestBody.content['application/json'].schema, { type: 'object', properties: { titles: { type: 'array' } } });
  const cacheControl = { 'Cache-Control': { $ref: '#/components/headers/CacheControl' } };
  t.deepEqual(publishAll.responses['204'], { description: 'The action answered nothing.', headers: cacheControl });
  t.deepEqual(publishAll.responses['200'], { description: 'What the action answered.', headers: cacheControl, content: { 'application/json': { schema: {} } } });
  const stats = described.paths['/x/things/stats/'];
  t.is(stats.parameters, undefined);
  t.is(stats.get.requestBody, undefined);
  t.deepEqual(stats.get.responses['200'].content['application/json'].schema, { type: 'object', properties: { count: { type: 'integer' } } });
  t.deepEqual(stats.get.security, [{ ApiKey: [] }, {}]);
});

test('security: the API key scheme, required on writes, optional on open reads', (t) => {
  t.deepEqual(document.components.securitySchemes, {
    Jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  });
  // Users sign in with a JWT too; changing a user takes the writer role (the API key) or the scope profile:write.
  t.deepEqual(doc().paths['/api/users/{id}/'].put.security, [{ Jwt: [] }, { Jwt: ['profile:write'] }, { ApiKey: [] }, { ApiKey: ['profile:write'] }]);
  t.deepEqual(doc().paths['/api/users/{id}/'].get.security, [{ Jwt: [] }, { ApiKey: [] }, {}]);
  t.deepEqual(doc().paths['/api/users/me/'].get.security, [{ Jwt: [] }, { ApiKey: [] }]);
  t.deepEqual(doc().paths['/api/posts/'].post.security, [{ ApiKey: [] }]);
  t.deepEqual(doc().paths['/api/posts/'].get.security, [{ ApiKey: [] }, {}]);
});

test('GET <prefix>/openapi.json serves the document, without authentication', async (t) => {
  const res = await request(server).get('/api/openapi.json');
  t.is(res.status, 200);
  t.regex(res.headers['content-type']!, /^application\/json/);
  t.deepEqual(res.body, JSON.parse(JSON.stringify(document)));
  const head = await request(server).head('/api/openapi.json');
  t.is(head.status, 200);
});

test('GET <collection URL>schema answers the resource schema of the document, standalone', async (t) => {
  const res = await request(server).get('/api/posts/schema');
  t.is(res.status, 200);
  t.regex(res.headers['content-type']!, /^application\/schema\+json/);
  const schema = JSON.parse(res.text) as Json;
  t.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.deepEqual(schema.properties, {
    ...schemaOf('Post').properties,
    author: { anyOf: [{ $ref: '#/$defs/Author' }, { type: 'null' }] },
  });
  t.deepEqual(schema.$defs, { Author: schemaOf('Author') });
  // It validates what the API answers.
  const validate = openApiAjv().compile(schema);
  const posts = await request(server).get('/api/posts/');
  for (const post of posts.body.data) t.true(validate(post), JSON.stringify(validate.errors));
  // Views without schemaEndpoint have none: `schema` is just a pk that does not exist.
  t.is((await request(server).get('/api/users/schema')).status, 404);
});

test('computedSchemas may only name computed fields', (t) => {
  const Model = freshModel();
  class Bad extends Resource {
    document = Model;
    computedSchemas = { title: { type: 'string' } };
  }
  class BadView extends ResourceView {
    resource = Bad;
    methods = [methods.List];
  }
  t.throws(() => new MongoRest().register(BadView), { instanceOf: TypeError, message: 'Bad.computedSchemas names "title", which is not a computed field.' });
});

test('openapi.path must be a literal path', (t) => {
  t.throws(() => new MongoRest({ openapi: { path: 'openapi.json' } }), { instanceOf: TypeError, message: 'openapi.path must be a literal path starting with "/" (got "openapi.json").' });
});

test('the document can be served elsewhere, behind authentication; api.openapi() takes info and servers', async (t) => {
  const Model = freshModel();
  class Things extends Resource {
    document = Model;
  }
  class ThingView extends ResourceView {
    resource = Things;
    methods = [methods.List];
  }
  const api = new TestMongoRest({
    openapi: { path: '/spec', authenticationMethods: [new BearerAuthentication({ tokens: ['t0ken'] })], info: { title: 'Things', version: '2.0.0' } },
  }).register(ThingView, { url: '/things/' });
  const app = new Koa().use(api.routes()).use(api.allowedMethods()).callback();
  t.is((await request(app).get('/spec')).status, 401);
  const res = await request(app).get('/spec').set('Authorization', 'Bearer t0ken');
  t.is(res.status, 200);
  t.deepEqual(res.body.info, { title: 'Things', version: '2.0.0' });
  t.is((await request(app).get('/openapi.json')).status, 404);

  const custom = api.openapi({ info: { title: 'Custom' }, servers: [{ url: 'https://api.example.com' }] });
  t.is(custom.info.title, 'Custom');
  t.is(custom.info.version, '0.1.0', 'from package.json');
  t.deepEqual(custom.servers, [{ url: 'https://api.example.com' }]);
  // Not served unless asked for.
  const quiet = new TestMongoRest().register(ThingView, { url: '/things/' });
  t.is((await request(new Koa().use(quiet.routes()).callback()).get('/openapi.json')).status, 404);
});

test('strategies become security schemes; 401/403 where authentication, permission tables or hooks can refuse', async (t) => {
  const Model = freshModel();
  class SecretHeader extends AuthenticationBase {
    static override openapi = { type: 'apiKey', in: 'header', name: 'X-Secret' } as const;
    authorized(ctx: RequestContext) {
      return ctx.get('X-Secret') === 's';
    }
  }
  class Undescribed extends AuthenticationBase {
    authorized() {
      return false;
    }
  }
  class Things extends Resource {
    document = Model;
    filters = { title: [new ops.In({ allowNegation: true })] };
  }
  class OpenView extends ResourceView {
    resource = Things;
    methods = [methods.List, methods.Create];
  }
  class GuardedView extends ResourceView {
    resource = Things;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
    authenticationMethods = [new BearerAuthentication({ tokens: ['t'] }), SecretHeader, Undescribed, AnonymousAuthentication];
    permissions = { List: allow, Fetch: role('reader'), Create: allow, Update: allow };
    override hasAddPermission(_ctx: RequestContext, _doc: AnyDocument) {
      return true;
    }
  }
  class KeyView extends ResourceView {
    resource = Things;
    methods = [methods.List];
    authenticationMethods = [new ApiKeyAuthentication({ keys: ['k'], header: 'X-Other-Key' })];
  }
  const api = new TestMongoRest()
    .register(OpenView, { url: '/open/', name: 'open-thing' })
    .register(GuardedView, { url: '/guarded/', name: 'guarded_thing' })
    .register(KeyView, { url: '/keyed', name: 'keyed' });
  const spec = (await assertValidOpenApi(api)) as unknown as Json;
  t.deepEqual(spec.components.securitySchemes, {
    Bearer: { type: 'http', scheme: 'bearer' },
    SecretHeader: { type: 'apiKey', in: 'header', name: 'X-Secret' },
    ApiKey: { type: 'apiKey', in: 'header', name: 'X-Other-Key' },
  });
  const open = spec.paths['/open/'];
  t.is(open.get.operationId, 'listOpenThings');
  t.false('security' in open.get);
  t.deepEqual(Object.keys(open.post.responses), ['201', '400', '406', '413', '415', '503', '504']);
  t.deepEqual(
    open.get.parameters.slice(-3).map((parameter: Json) => parameter.name),
    ['title__in', 'title__not__in', 'If-None-Match'],
  );

  const guarded = spec.paths['/guarded/'];
  const item = spec.paths['/guarded/{id}/'];
  t.is(guarded.get.operationId, 'listGuardedThings');
  t.deepEqual(guarded.get.security, [{ Bearer: [] }, { SecretHeader: [] }, {}]);
  t.is(guarded.get.description, 'Also authenticated by Undescribed (not described in this document).');
  t.deepEqual(Object.keys(guarded.get.responses), ['200', '304', '400', '406', '503']);
  t.deepEqual(item.get.security, [{ Bearer: [] }, { SecretHeader: [] }], 'a role rule: anonymous callers are refused');
  t.deepEqual(Object.keys(item.get.responses), ['200', '304', '401', '403', '404', '406', '503']);
  t.deepEqual(Object.keys(guarded.post.responses), ['201', '400', '403', '406', '413', '415', '503', '504'], 'hasAddPermission can refuse');
  t.deepEqual(Object.keys(item.delete.responses), ['204', '403', '404', '406', '412', '503', '504'], 'Delete is not in the table: always refused');

  // Paths as registered: without a trailing slash, the item URL has none either.
  t.truthy(spec.paths['/keyed'].get);
  t.deepEqual(spec.paths['/keyed'].get.security, [{ ApiKey: [] }]);
  t.deepEqual(Object.keys(spec.paths['/keyed'].get.responses), ['200', '304', '400', '401', '406', '503']);
});

test('JwtAuthentication is HTTP bearer with bearerFormat JWT; scope() rules put their scopes in the security requirements', async (t) => {
  const Model = freshModel();
  class Things extends Resource {
    document = Model;
  }
  class ScopedView extends ResourceView {
    resource = Things;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
    authenticationMethods = [new JwtAuthentication({ secret: 'x'.repeat(32), algorithms: ['HS256'] }), new ApiKeyAuthentication({ keys: ['k'] })];
    permissions = {
      List: allow,
      Fetch: authenticated,
      Create: scope('things:write'),
      Update: any(role('admin'), scope('a', 'b')),
      Delete: all(scope('things:delete'), any(scope('a'), scope('b'))),
    };
  }
  const spec = (await assertValidOpenApi(new TestMongoRest().register(ScopedView, { url: '/things/' }))) as unknown as Json;
  t.deepEqual(spec.components.securitySchemes, {
    Jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  });
  const collection = spec.paths['/things/'];
  const item = spec.paths['/things/{id}/'];
  t.deepEqual(collection.get.security, [{ Jwt: [] }, { ApiKey: [] }]);
  t.deepEqual(item.get.security, [{ Jwt: [] }, { ApiKey: [] }]);
  t.deepEqual(collection.post.security, [{ Jwt: ['things:write'] }, { ApiKey: ['things:write'] }]);
  t.deepEqual(item.put.security, [{ Jwt: [] }, { Jwt: ['a'] }, { Jwt: ['b'] }, { ApiKey: [] }, { ApiKey: ['a'] }, { ApiKey: ['b'] }], 'a role rule: an alternative without scopes');
  t.deepEqual(item.delete.security, [{ Jwt: ['a', 'things:delete'] }, { Jwt: ['b', 'things:delete'] }, { ApiKey: ['a', 'things:delete'] }, { ApiKey: ['b', 'things:delete'] }]);
  t.deepEqual(Object.keys(collection.post.responses), ['201', '400', '401', '403', '406', '413', '415', '503', '504']);
  t.deepEqual(spec.components.responses.Forbidden.headers, { 'WWW-Authenticate': { $ref: '#/components/headers/InsufficientScope' } });
});

test('aliases are paths of their own: the item operations without {id}, with a 401, never anonymous', async (t) => {
  const Model = freshModel({ name: { type: String, required: true } });
  class People extends Resource {
    document = Model;
  }
  class PersonView extends ResourceView {
    resource = People;
    methods = [methods.List, methods.Fetch, methods.Update, methods.Delete];
    authenticationMethods = [new BearerAuthentication({ tokens: ['t'] }), AnonymousAuthentication];
    aliases = { me: (ctx: RequestContext) => (ctx.state.user as { id?: string } | undefined)?.id, 'current-user': () => undefined };
  }
  const spec = (await assertValidOpenApi(new TestMongoRest().register(PersonView, { url: '/people/', name: 'person' }))) as unknown as Json;
  t.deepEqual(Object.keys(spec.paths), ['/people/', '/people/me/', '/people/current-user/', '/people/{id}/']);
  const item = spec.paths['/people/{id}/'];
  const me = spec.paths['/people/me/'];
  t.deepEqual(Object.keys(me), ['get', 'put', 'delete']);
  t.false('parameters' in me);
  t.is(me.get.operationId, 'fetchPersonMe');
  t.is(me.put.operationId, 'updatePersonMe');
  t.is(spec.paths['/people/current-user/'].delete.operationId, 'deletePersonCurrentUser');
  t.is(me.get.summary, 'Fetch a person (`me`)');
  t.regex(me.get.description, /^The person whose pk the alias `me` gives for the caller: 401 when/);
  t.deepEqual(item.get.security, [{ Bearer: [] }, {}]);
  t.deepEqual(me.get.security, [{ Bearer: [] }]);
  t.deepEqual(Object.keys(item.get.responses), ['200', '304', '404', '406', '503']);
  t.deepEqual(Object.keys(me.get.responses), ['200', '304', '401', '404', '406', '503']);
  t.deepEqual(me.put.requestBody, item.put.requestBody);
});

test('related resources: $ref on output, id-or-object on input (saveRelatedFields: also nested create/update)', async (t) => {
  const Author = freshModel({ name: { type: String, required: true } });
  const Book = freshModel({ title: String, author: { type: mongoose.Schema.Types.ObjectId, ref: Author.modelName }, editors: [{ type: mongoose.Schema.Types.ObjectId, ref: Author.modelName }] });
  class AuthorResource extends Resource {
    document = Author;
  }
  class BookResource extends Resource {
    document = Book;
    relatedResources = { author: AuthorResource, editors: AuthorResource };
    saveRelatedFields = ['author'];
    renameFields = { author: 'written_by' };
    initials(doc: PlainDocument) {
      return String(doc.title ?? '').slice(0, 2);
    }
    fields = ['id', 'title', 'author', 'editors', 'initials'];
  }
  class BookView extends ResourceView {
    resource = BookResource;
    methods = [methods.List, methods.Create];
  }
  const spec = (await assertValidOpenApi(new TestMongoRest().register(BookView, { url: '/books/' }))) as unknown as Json;
  const book = spec.components.schemas.Book;
  t.deepEqual(Object.keys(book.properties), ['id', 'title', 'written_by', 'editors', 'initials']);
  t.deepEqual(book.properties.editors, { type: ['array', 'null'], items: { $ref: '#/components/schemas/Author' } });
  t.deepEqual(book.properties.initials, { description: 'Computed by the server.' });
  const input = spec.components.schemas.BookCreate.properties;
  t.deepEqual(Object.keys(input), ['title', 'written_by', 'editors']);
  t.deepEqual(
    input.written_by.anyOf[0].anyOf.map((branch: Json) => branch.$ref ?? branch.type),
    ['string', '#/components/schemas/AuthorCreate', 'object'],
  );
  t.deepEqual(spec.components.schemas.AuthorCreate.required, ['name']);
  t.deepEqual(spec.paths['/books/'].get.parameters.find((parameter: Json) => parameter.name === '_fields').schema.items.enum, [
    'id',
    'title',
    'written_by',
    'editors',
    'initials',
    '_all',
  ]);
});

test('headers: ETag (strong on items, weak on pages), If-None-Match/If-Match, Cache-Control, Idempotency-Key, Accept-Patch on 415; NDJSON lists', (t) => {
  const posts = doc().paths['/api/posts/'];
  const post = doc().paths['/api/posts/{id}/'];
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
  t.deepEqual(posts.get.responses['200'].headers, { ETag: ref('WeakETag'), 'Cache-Control': ref('CacheControl') });
  t.deepEqual(post.get.responses['200'].headers, { ETag: ref('ETag'), 'Cache-Control': ref('CacheControl') });
  t.deepEqual(post.put.responses['200'].headers, { ETag: ref('ETag'), 'Cache-Control': ref('CacheControl'), 'Idempotent-Replayed': ref('IdempotentReplayed') });
  t.deepEqual(post.patch.responses['200'].headers, post.put.responses['200'].headers);
  t.deepEqual(post.patch.responses['415'].headers, { 'Accept-Patch': ref('AcceptPatch') });
  t.true(doc().components.headers.AcceptPatch.required);
  t.true(doc().components.headers.ETag.required);
  t.falsy(doc().components.headers.CacheControl.required, 'only authenticated requests get it');
  t.deepEqual(Object.keys(posts.get.responses['200'].content), ['application/json', 'application/x-ndjson']);
  t.deepEqual(posts.get.responses['200'].content['application/x-ndjson'].schema, {
    oneOf: [{ $ref: '#/components/schemas/Post' }, { $ref: '#/components/schemas/StreamEnd' }],
  });
  const idempotencyKey = (post.put.parameters as Json[]).find((parameter) => parameter.name === 'Idempotency-Key')!;
  t.deepEqual(idempotencyKey.schema, { type: 'string', minLength: 1, maxLength: 255 });
  t.is(idempotencyKey.in, 'header');
  t.regex(doc().components.responses.GatewayTimeout.description, /may or may not have been saved/);
  t.false('headers' in doc().components.responses.GatewayTimeout, 'a 504 never says "retry after"');
});

test('Resource-level write hooks, requireIfMatch, an unversioned model and no idempotency are described as served', async (t) => {
  const Versioned = freshModel();
  const Unversioned = database().connection.model(`OpenApiDoc${++modelCount}`, new mongoose.Schema({ title: String }, { versionKey: false }));
  class GuardedThings extends Resource {
    document = Versioned;
    override requireIfMatch = true;
    override hasChangePermission() {
      return false;
    }
    override hasDeletePermission() {
      return false;
    }
  }
  class PlainThings extends Resource {
    document = Unversioned;
  }
  class GuardedView extends ResourceView {
    resource = GuardedThings;
    methods = [methods.Create, methods.Fetch, methods.Update, methods.Delete];
  }
  class PlainView extends ResourceView {
    resource = PlainThings;
    methods = [methods.Fetch, methods.Update];
  }
  const api = new TestMongoRest().register(GuardedView, { url: '/guarded/', name: 'guarded' }).register(PlainView, { url: '/plain/', name: 'plain' });
  const spec = (await assertValidOpenApi(api)) as unknown as Json;
  const guarded = spec.paths['/guarded/{id}/'];
  t.deepEqual(Object.keys(guarded.put.responses), ['200', '400', '403', '404', '406', '412', '413', '415', '428', '503', '504'], "the resource's hasChangePermission can refuse");
  t.deepEqual(Object.keys(guarded.delete.responses), ['204', '403', '404', '406', '412', '428', '503', '504']);
  t.deepEqual(Object.keys(spec.paths['/guarded/'].post.responses), ['201', '400', '406', '413', '415', '503', '504'], 'no add hook: no 403');
  t.deepEqual((guarded.put.parameters as Json[]).find((parameter) => parameter.name === 'If-Match'), {
    name: 'If-Match',
    in: 'header',
    description: 'The ETag read before the change (or `*`): answered 412 and nothing written when the document changed since.',
    required: true,
    schema: { type: 'string' },
  });
  t.false((guarded.put.parameters as Json[]).some((parameter) => parameter.name === 'Idempotency-Key'), 'idempotency is off');
  t.deepEqual(guarded.get.responses['200'].headers, { ETag: { $ref: '#/components/headers/ETag' } });
  const plain = spec.paths['/plain/{id}/'];
  t.false('headers' in plain.get.responses['200'], 'no version key: no ETag');
  t.false((plain.put.parameters as Json[]).find((parameter) => parameter.name === 'If-Match')!.required ?? false);
});

test('nested views: paths under the parent’s item URL with its pk as a parameter, 404 on every operation, the parent field optional on create', async (t) => {
  const postId = { name: 'postId', in: 'path', required: true, description: 'The id of the post the documents belong to (an unknown one, or one the caller cannot read, answers 404).', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } };
  const collection = doc().paths['/api/posts/{postId}/comments/'];
  t.deepEqual(collection.parameters, [postId]);
  t.is(collection.get.operationId, 'listPostComments');
  t.is(collection.post.operationId, 'createPostComment');
  t.deepEqual(collection.get.tags, ['PostComments']);
  t.deepEqual(Object.keys(collection.get.responses), ['200', '304', '400', '404', '406', '503']);
  t.deepEqual(Object.keys(collection.post.responses), ['201', '400', '401', '404', '406', '409', '413', '415', '422', '503', '504']);
  // The top-level Comment body requires `post`; under a post it is set from the URL.
  t.deepEqual(collection.post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/CommentCreateNested' });
  t.deepEqual(schemaOf('CommentCreate').required, ['post', 'author', 'text']);
  t.deepEqual(schemaOf('CommentCreateNested').required, ['author', 'text']);
  t.regex(schemaOf('CommentCreateNested').properties.post.description, /^Set from the URL/);

  // An app of its own: item operations, a numeric parent pk, a renamed parent field, names by view name.
  const Board = freshModel({ _id: Number, name: String });
  const Thread = freshModel({ title: { type: String, required: true }, board: { type: Number, required: true } });
  const api = new TestMongoRest({ prefix: '/v1' });
  api.register(class BoardView extends ResourceView {
    resource = class BoardResource extends Resource { document = Board; };
    methods = [methods.Fetch];
  }, { url: '/boards/', name: 'board' });
  api.register(class ThreadView extends ResourceView {
    resource = class ThreadResource extends Resource {
      document = Thread;
      renameFields = { board: 'board_id' };
    };
    methods = [methods.List, methods.Fetch, methods.Create, methods.BulkCreate, methods.Update, methods.Delete];
  }, { url: '/threads', name: 'board-thread', parent: { view: 'board', field: 'board' } });
  const own = (await assertValidOpenApi(api)) as unknown as Json;
  const boardId = { name: 'boardId', in: 'path', required: true, description: 'The id of the board the documents belong to (an unknown one, or one the caller cannot read, answers 404).', schema: { type: 'string' } };
  t.deepEqual(Object.keys(own.paths), ['/v1/boards/{id}/', '/v1/boards/{boardId}/threads', '/v1/boards/{boardId}/threads/{id}']);
  t.deepEqual(own.paths['/v1/boards/{boardId}/threads'].parameters, [boardId]);
  t.deepEqual(own.paths['/v1/boards/{boardId}/threads/{id}'].parameters.map((parameter: Json) => parameter.name), ['boardId', 'id']);
  const item = own.paths['/v1/boards/{boardId}/threads/{id}'];
  t.deepEqual([item.get.operationId, item.put.operationId, item.delete.operationId], ['fetchBoardThread', 'updateBoardThread', 'deleteBoardThread']);
  for (const operation of [item.get, item.put, item.delete, own.paths['/v1/boards/{boardId}/threads'].get]) t.truthy(operation.responses['404']);
  const created = own.paths['/v1/boards/{boardId}/threads'].post.requestBody.content['application/json'].schema;
  t.deepEqual(created.oneOf[0], { $ref: '#/components/schemas/ThreadCreateNested' });
  t.deepEqual(own.components.schemas.ThreadCreateNested.required, ['title']);
});
