/**
 * MongoRest itself (SPEC §1, §4): prefixes, `register` with url and name, the default URL, several MongoRests
 * in one app, registering before and after `app.use`, and configuration errors thrown at registration.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { MongoRest, Resource, ResourceView, methods, type MethodMarker, type ResourceClass } from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const Note = connection.model('Note', new mongoose.Schema({ title: String, text: String }));
  const BlogPost = connection.model('BlogPost', new mongoose.Schema({ title: String }));
  return { app: new Koa(), Note, BlogPost };
}

const env = useApp(test, import.meta.url, build);

function noteResource(overrides: Partial<Resource> = {}): ResourceClass {
  const { Note } = env();
  return class NoteResource extends Resource {
    document = Note;
    constructor() {
      super();
      Object.assign(this, overrides);
    }
  };
}

function viewOf(resource: ResourceClass, markers: MethodMarker[] = [methods.List, methods.Fetch, methods.Create]) {
  return class NoteView extends ResourceView {
    resource = resource;
    methods = markers;
  };
}

const NoteView = () => viewOf(noteResource());

/** A Koa app serving `apis` in order (routes then allowedMethods of each). */
function appWith(...apis: MongoRest[]) {
  const app = new Koa();
  for (const api of apis) app.use(api.routes()).use(api.allowedMethods());
  return app.callback();
}

async function seedNote() {
  const title = uniqueTag('note');
  const doc = await env().Note.create({ title });
  return { id: String(doc._id), title, out: { id: String(doc._id), title, text: null } };
}

// ---- prefix --------------------------------------------------------------------------------------------

test('without a prefix views are served from the root', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest().register(NoteView(), { url: '/notes/' });
  t.is(api.prefix, '');
  assertJson(t, await request(appWith(api)).get(`/notes/${id}/`), 200, out);
});

test('new TestMongoRest({prefix}) serves views under the prefix', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest({ prefix: '/v1' }).register(NoteView(), { url: '/notes/' });
  assertJson(t, await request(appWith(api)).get(`/v1/notes/${id}/`), 200, out);
});

test('a view is not served without its prefix', async (t) => {
  const { id } = await seedNote();
  const api = new TestMongoRest({ prefix: '/v1' }).register(NoteView(), { url: '/notes/' });
  const res = await request(appWith(api)).get(`/notes/${id}/`);
  t.is(res.status, 404);
  t.is(res.text, 'Not Found');
});

for (const [given, normalized] of [
  ['v1', '/v1'],
  ['/v1/', '/v1'],
  ['//v1//', '/v1'],
  ['/', ''],
  ['', ''],
  ['/api/v2', '/api/v2'],
] as const) {
  test(`the prefix ${JSON.stringify(given)} is normalized to ${JSON.stringify(normalized)}`, async (t) => {
    const { id, out } = await seedNote();
    const api = new TestMongoRest({ prefix: given }).register(NoteView(), { url: '/notes/' });
    t.is(api.prefix, normalized);
    assertJson(t, await request(appWith(api)).get(`${normalized}/notes/${id}`), 200, out);
  });
}

test('the Location of a created item includes the prefix', async (t) => {
  const api = new TestMongoRest({ prefix: '/api/v2' }).register(NoteView(), { url: '/notes/' });
  const res = await request(appWith(api)).post('/api/v2/notes/').send({ title: uniqueTag() });
  t.is(res.status, 201);
  t.is(res.headers.location, `/api/v2/notes/${res.body.id}/`);
});

// ---- register: url and name ----------------------------------------------------------------------------

test('register serves the view at the url given', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/deep/er/notes/' });
  assertJson(t, await request(appWith(api)).get(`/api/deep/er/notes/${id}/`), 200, out);
});

test('a url registered without a trailing slash is served with and without it', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/notes' });
  const server = appWith(api);
  assertJson(t, await request(server).get(`/api/notes/${id}`), 200, out);
  assertJson(t, await request(server).get(`/api/notes/${id}/`), 200, out);
});

test('without a url the view is served at /<model name lowercased>/', async (t) => {
  const api = new TestMongoRest({ prefix: '/api' }).register(viewOf(class extends Resource {
    document = env().BlogPost;
  }));
  const title = uniqueTag('bp');
  const created = await request(appWith(api)).post('/api/blogpost/').send({ title });
  t.is(created.status, 201);
  t.is(created.headers.location, `/api/blogpost/${created.body.id}/`);
});

test('the route name defaults to the model name lowercased', (t) => {
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/notes/' });
  t.is(api.router.url('note'), '/api/notes/');
});

test('register with a name names the route', (t) => {
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/notes/', name: 'all-notes' });
  t.is(api.router.url('all-notes'), '/api/notes/');
});

test('register returns the MongoRest (chainable)', (t) => {
  const api = new TestMongoRest();
  t.is(api.register(NoteView(), { url: '/a/', name: 'a' }), api);
});

test('the same view may be registered at two URLs under two names', async (t) => {
  const { id, out } = await seedNote();
  const View = NoteView();
  const api = new TestMongoRest().register(View, { url: '/one/', name: 'one' }).register(View, { url: '/two/', name: 'two' });
  const server = appWith(api);
  assertJson(t, await request(server).get(`/one/${id}/`), 200, out);
  assertJson(t, await request(server).get(`/two/${id}/`), 200, out);
});

// ---- several MongoRests, registration order ------------------------------------------------------------

test('several MongoRests with different prefixes serve side by side', async (t) => {
  const { id, out } = await seedNote();
  const a = new TestMongoRest({ prefix: '/a' }).register(NoteView(), { url: '/notes/' });
  const b = new TestMongoRest({ prefix: '/b' }).register(viewOf(noteResource({ fields: ['title'] })), { url: '/notes/' });
  const server = appWith(a, b);
  assertJson(t, await request(server).get(`/a/notes/${id}/`), 200, out);
  assertJson(t, await request(server).get(`/b/notes/${id}/`), 200, { title: out.title });
  assertJson(t, await request(server).get('/b/nothing/'), 404, { error: 'Not found' });
});

test('several MongoRests with the same prefix serve side by side', async (t) => {
  const { id, out } = await seedNote();
  const a = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/notes/' });
  const b = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/more-notes/' });
  const server = appWith(a, b);
  assertJson(t, await request(server).get(`/api/notes/${id}/`), 200, out);
  assertJson(t, await request(server).get(`/api/more-notes/${id}/`), 200, out);
  assertJson(t, await request(server).get('/api/neither/'), 404, { error: 'Not found' });
});

test('a view registered after app.use(api.routes()) is served', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest({ prefix: '/api' });
  const server = appWith(api);
  api.register(NoteView(), { url: '/late/' });
  assertJson(t, await request(server).get(`/api/late/${id}/`), 200, out);
});

test('views registered before and after app.use are both served', async (t) => {
  const { id, out } = await seedNote();
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/early/', name: 'early' });
  const server = appWith(api);
  api.register(NoteView(), { url: '/late/', name: 'late' });
  assertJson(t, await request(server).get(`/api/early/${id}/`), 200, out);
  assertJson(t, await request(server).get(`/api/late/${id}/`), 200, out);
});

test('the app’s own routes after the API keep working', async (t) => {
  const api = new TestMongoRest({ prefix: '/api' }).register(NoteView(), { url: '/notes/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  app.use(async (ctx, next) => {
    if (ctx.path === '/health') ctx.body = 'ok';
    else if (ctx.path === '/api/custom') ctx.body = { custom: true };
    else await next();
  });
  const server = app.callback();
  t.is((await request(server).get('/health')).text, 'ok');
  assertJson(t, await request(server).get('/api/custom'), 200, { custom: true });
});

test('onError receives unexpected errors with the context', async (t) => {
  const seen: [unknown, string][] = [];
  class Failing extends Resource {
    document = env().Note;
    override getQueryset(): never {
      throw new Error('boom');
    }
  }
  const api = new TestMongoRest({ onError: (error, ctx) => seen.push([error, ctx.path]) }).register(viewOf(Failing), { url: '/fail/' });
  assertJson(t, await request(appWith(api)).get('/fail/'), 500, { error: 'Internal Server Error' });
  t.is(seen.length, 1);
  t.is((seen[0]![0] as Error).message, 'boom');
  t.is(seen[0]![1], '/fail/');
});

test('MongoRest instantiates each view once, at register', async (t) => {
  let instances = 0;
  class CountedView extends ResourceView {
    resource = noteResource();
    methods = [methods.List];
    constructor() {
      super();
      instances += 1;
    }
  }
  const api = new TestMongoRest().register(CountedView, { url: '/counted/' });
  t.is(instances, 1);
  const server = appWith(api);
  await request(server).get('/counted/');
  await request(server).get('/counted/');
  t.is(instances, 1);
});

test('a fresh Resource instance serves each request', async (t) => {
  const { id } = await seedNote();
  class Stateful extends Resource {
    document = env().Note;
    override fields = ['id', 'calls'];
    seen = 0;
    calls() {
      this.seen += 1;
      return this.seen;
    }
  }
  const server = appWith(new TestMongoRest().register(viewOf(Stateful), { url: '/stateful/' }));
  for (let i = 0; i < 3; i += 1) assertJson(t, await request(server).get(`/stateful/${id}/`), 200, { id, calls: 1 });
});

test('without a prefix an unknown path answers 404 JSON', async (t) => {
  const server = appWith(new TestMongoRest().register(NoteView(), { url: '/notes/' }));
  assertJson(t, await request(server).get('/nothing/here'), 404, { error: 'Not found' });
});

// ---- configuration errors ------------------------------------------------------------------------------

test('renameFields mapping two fields to one name → throws at registration', (t) => {
  const api = new TestMongoRest();
  t.throws(() => api.register(viewOf(noteResource({ renameFields: { title: 'name', text: 'name' } })), { url: '/x/' }), {
    instanceOf: TypeError,
    message: 'NoteResource.renameFields must be one-to-one: "title" and "text" are both exposed as "name".',
  });
});

test('renameFields giving a field the name of another field → throws at registration', (t) => {
  const api = new TestMongoRest();
  t.throws(() => api.register(viewOf(noteResource({ renameFields: { title: 'text' } })), { url: '/x/' }), {
    instanceOf: TypeError,
    message: /^NoteResource\.renameFields must be one-to-one: .*"text"/,
  });
});

test('renameFields to an empty name → throws at registration', (t) => {
  t.throws(() => new TestMongoRest().register(viewOf(noteResource({ renameFields: { title: '' } })), { url: '/x/' }), {
    instanceOf: TypeError,
    message: 'NoteResource.renameFields["title"] must be a non-empty string.',
  });
});

test('a swap of two names is one-to-one and allowed', async (t) => {
  const { id, title } = await seedNote();
  const api = new TestMongoRest().register(viewOf(noteResource({ renameFields: { title: 'text', text: 'title' } })), { url: '/swap/' });
  assertJson(t, await request(appWith(api)).get(`/swap/${id}/`), 200, { id, text: title, title: null });
});

test('a failed registration leaves nothing registered', async (t) => {
  const api = new TestMongoRest();
  t.throws(() => api.register(viewOf(noteResource({ renameFields: { title: 'text' } })), { url: '/broken/' }));
  assertJson(t, await request(appWith(api)).get('/broken/'), 404, { error: 'Not found' });
  api.register(NoteView(), { url: '/broken/' });
  t.is((await request(appWith(api)).get('/broken/')).status, 200);
});

const configErrors: readonly [string, () => void, RegExp | string][] = [
  [
    'a view without resource',
    () => new TestMongoRest().register(class V extends ResourceView {
      methods = [methods.List];
    }),
    'V.resource must be a Resource class.',
  ],
  [
    'a view without methods',
    () => new TestMongoRest().register(class V extends ResourceView {
      resource = noteResource();
    }),
    'V.methods must be a list of methods.* markers.',
  ],
  [
    'a view whose methods are not markers',
    () => new TestMongoRest().register(class V extends ResourceView {
      resource = noteResource();
      methods = ['GET'] as unknown as MethodMarker[];
    }),
    'V.methods must be a list of methods.* markers (got "GET").',
  ],
  [
    'a resource without document',
    () => new TestMongoRest().register(viewOf(class NoDoc extends Resource {})),
    'NoDoc.document must be a Mongoose model.',
  ],
  [
    'a resource whose document is a schema',
    () => new TestMongoRest().register(viewOf(class SchemaDoc extends Resource {
      document = new mongoose.Schema({ a: String }) as unknown as Resource['document'];
    })),
    'SchemaDoc.document must be a Mongoose model.',
  ],
  ['a url without a leading slash', () => new TestMongoRest().register(NoteView(), { url: 'notes/' }), 'The URL of NoteView must start with "/" (got "notes/").'],
  ['a url with a route parameter', () => new TestMongoRest().register(NoteView(), { url: '/notes/:id/' }), /^The URL of NoteView may only contain literal path segments/],
  ['a url with a wildcard', () => new TestMongoRest().register(NoteView(), { url: '/notes/*rest' }), /^The URL of NoteView may only contain literal path segments/],
  ['a field that is neither a schema path nor a method', () => new TestMongoRest().register(viewOf(noteResource({ fields: ['id', 'nope'] }))), 'NoteResource: field "nope" is neither a schema path nor a method.'],
  ['an optional field that is neither a schema path nor a method', () => new TestMongoRest().register(viewOf(noteResource({ optionalFields: ['nope'] }))), 'NoteResource: field "nope" is neither a schema path nor a method.'],
  ['allowedOrdering naming an unknown field', () => new TestMongoRest().register(viewOf(noteResource({ allowedOrdering: ['nope'] }))), 'NoteResource.allowedOrdering names an unknown field "nope".'],
  [
    'allowedOrdering naming the internal name of a renamed field',
    () => new TestMongoRest().register(viewOf(noteResource({ renameFields: { title: 'name' }, allowedOrdering: ['title'] }))),
    'NoteResource.allowedOrdering names an unknown field "title".',
  ],
  ['a negative defaultLimit', () => new TestMongoRest().register(viewOf(noteResource({ defaultLimit: -1 }))), 'NoteResource.defaultLimit must be a non-negative integer.'],
  ['a fractional maxLimit', () => new TestMongoRest().register(viewOf(noteResource({ maxLimit: 1.5 }))), 'NoteResource.maxLimit must be a non-negative integer.'],
  ['a NaN bulkUpdateLimit', () => new TestMongoRest().register(viewOf(noteResource({ bulkUpdateLimit: Number.NaN }))), 'NoteResource.bulkUpdateLimit must be a non-negative integer.'],
];

for (const [what, register, message] of configErrors) {
  test(`${what} → throws at registration`, (t) => {
    t.throws(register, { instanceOf: TypeError, message });
  });
}

test('two views at the same URL → throws', (t) => {
  const api = new TestMongoRest().register(NoteView(), { url: '/notes/', name: 'a' });
  t.throws(() => api.register(NoteView(), { url: '/notes', name: 'b' }), { message: 'A view is already registered at "/notes".' });
});

test('two views under the same name → throws', (t) => {
  const api = new TestMongoRest().register(NoteView(), { url: '/a/', name: 'same' });
  t.throws(() => api.register(NoteView(), { url: '/b/', name: 'same' }), { message: 'A view named "same" is already registered.' });
});

test('two views of one model without names → throws, suggesting a name', (t) => {
  const api = new TestMongoRest().register(NoteView(), { url: '/a/' });
  t.throws(() => api.register(NoteView(), { url: '/b/' }), {
    message: 'A view named "note" is already registered (pass { name } to register another view of the same model).',
  });
});
