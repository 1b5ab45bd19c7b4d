/**
 * Custom actions (issue 14, item 2): `action({...})` in a view's `actions` mounts `<verb> <url><pk>/<name>/`
 * (item) or `<verb> <url><name>/` (collection). Item actions find their document as Fetch does (queryset,
 * the resource's and the view's `hasReadPermission`, 404); actions run after authentication and are keyed
 * by name in the `permissions` table; bodies follow the write rules (415/413/400); the return value is
 * the answer (a document through the resource, `_fields` applying; other values as JSON; `undefined` →
 * 204); other verbs on an action URL → 405 + Allow. Names are checked when the view is registered.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  ApiKeyAuthentication,
  MongoRest,
  Resource,
  ResourceView,
  ValidationError,
  action,
  allow,
  authenticated,
  methods,
  type AnyDocument,
  type AnyModel,
  type AnyQuery,
  type MongoRestState,
  type RequestContext,
} from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const INVALID_JSON = { error: 'The request contains invalid JSON.' };
const NOT_JSON = { error: 'The request body must be JSON (Content-Type: application/json).' };
const handlerCalls: string[] = [];
const errors: unknown[] = [];

function build(connection: Connection) {
  const Article = connection.model(
    'Article',
    new mongoose.Schema({
      title: { type: String, required: true },
      status: { type: String, enum: ['draft', 'published', 'archived'], default: 'draft' },
      hidden: { type: Boolean, default: false },
      tag: String,
    }),
  );

  class ArticleResource extends Resource {
    document = Article;
    fields = ['id', 'title', 'status'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
    // Resource-level rule: hidden articles do not exist for the API.
    override hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
      return query.where({ hidden: false });
    }
  }

  const publish = action({
    name: 'publish',
    target: 'item',
    verb: 'POST',
    summary: 'Publish an article',
    handler: async (ctx, { doc, resource, body }) => {
      handlerCalls.push(`${ctx.get('X-Tag')} publish ${JSON.stringify(body)}`);
      return resource.updateObject(ctx, doc, { status: 'published' });
    },
  });
  const archive = action({
    name: 'archive',
    target: 'item',
    verb: 'DELETE',
    handler: async (ctx, { doc, resource }) => {
      await resource.updateObject(ctx, doc, { status: 'archived' });
    },
  });
  const summary = action({
    name: 'summary',
    target: 'item',
    verb: 'GET',
    responseSchema: { type: 'object', properties: { title: { type: 'string' }, words: { type: 'integer' } } },
    handler: (_ctx, { doc }) => ({ title: doc.title as string, words: String(doc.title).split(' ').length }),
  });
  const fail = action({
    name: 'fail',
    target: 'item',
    handler: (_ctx, { body }) => {
      if ((body as { how?: string } | undefined)?.how === 'validation') throw new ValidationError({ 'field-errors': { how: 'Not today' } });
      throw new Error('action bug');
    },
  });
  const stats = action({
    name: 'stats',
    target: 'collection',
    verb: 'GET',
    handler: async (ctx, { resource }) => {
      const query = await resource.readableQuery(ctx);
      return { count: await resource.run(query.countDocuments()) };
    },
  });
  const publishAll = action({
    name: 'publish-all',
    target: 'collection',
    verb: 'POST',
    requestSchema: { type: 'object', properties: { titles: { type: 'array', items: { type: 'string' } } } },
    handler: async (ctx, { resource, body }) => {
      const titles = (body as { titles?: unknown } | undefined)?.titles;
      if (!Array.isArray(titles)) throw new ValidationError({ 'field-errors': { titles: 'A list of titles is required.' } });
      const query = await resource.readableQuery(ctx, { title: { $in: titles.map(String) } });
      const docs = (await resource.run(query)) as AnyDocument[];
      return resource.updateObjects(ctx, docs, { status: 'published' }).then(() => docs);
    },
  });
  const echo = action({ name: 'echo', target: 'collection', verb: 'PUT', handler: (_ctx, { body }) => body });
  const whoami = action({
    name: 'whoami',
    target: 'collection',
    verb: 'PATCH',
    handler: (ctx) => {
      const served = ctx.state.mongorest as MongoRestState;
      return { method: served.method, view: served.view.constructor.name, resource: served.resource.constructor.name };
    },
  });
  const nothing = action({ name: 'nothing', target: 'collection', handler: () => undefined });
  const custom = action({
    name: 'custom',
    target: 'collection',
    handler: (ctx) => {
      ctx.status = 202;
      ctx.body = { queued: true };
    },
  });

  class ArticleView extends ResourceView {
    resource = ArticleResource;
    methods = [methods.List, methods.Fetch, methods.Create];
    override actions = [publish, archive, summary, fail, stats, publishAll, echo, whoami, nothing, custom];
  }

  const keys = new ApiKeyAuthentication({ keys: { 'editor-key': { id: 'editor' } } });
  class GuardedArticleView extends ResourceView {
    resource = ArticleResource;
    methods = [methods.List, methods.Fetch];
    override actions = [publish, archive, stats];
    authenticationMethods = [keys, AnonymousAuthentication];
    permissions = { List: allow, Fetch: allow, publish: authenticated, stats: allow };
  }

  /** dispatch sees the action's name and can wrap its answer. */
  class WrappedArticleView extends ResourceView {
    resource = ArticleResource;
    methods = [methods.Fetch];
    override actions = [publish, nothing];
    override async dispatch(ctx: RequestContext, method: string, next: () => Promise<void>) {
      await next();
      ctx.body = { method, status: ctx.status, answer: ctx.body ?? null };
      ctx.status = 200;
    }
  }

  const api = new TestMongoRest({ prefix: '/api', onError: (error) => errors.push(error) });
  api.register(ArticleView, { url: '/articles/', name: 'articles' });
  api.register(GuardedArticleView, { url: '/guarded/', name: 'guarded' });
  api.register(WrappedArticleView, { url: '/wrapped/', name: 'wrapped' });
  // Small bodies (413) and Idempotency-Key honoured, to show that actions are not keyed.
  const strict = new TestMongoRest({ prefix: '/strict', bodyLimit: 64, idempotency: true });
  strict.register(ArticleView, { url: '/articles/', name: 'articles' });

  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods()).use(strict.routes()).use(strict.allowedMethods());
  return { app, Article };
}

const env = useApp(test, import.meta.url, build);

async function article(tag: string, fields: Record<string, unknown> = {}): Promise<string> {
  const [doc] = await env().Article.create([{ title: 'A short title', tag, ...fields }]);
  return String(doc!._id);
}

async function statusOf(id: string): Promise<unknown> {
  return ((await env().Article.findById(id).lean()) as { status?: string } | null)?.status;
}

// ---- item actions --------------------------------------------------------------------------------

test('POST <url><pk>/publish/ runs the handler on the document and answers it through the resource', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).post(`/api/articles/${id}/publish/`).set('X-Tag', tag);
  assertJson(t, res, 200, { id, title: 'A short title', status: 'published' });
  t.is(await statusOf(id), 'published');
  t.deepEqual(handlerCalls.filter((line) => line.startsWith(tag)), [`${tag} publish undefined`]);
});

test('the item action URL works without the trailing slash, and _fields shapes a returned document', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).post(`/api/articles/${id}/publish?_fields=status`).set('X-Tag', tag);
  assertJson(t, res, 200, { status: 'published' });
});

test('a JSON body reaches the handler parsed', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).post(`/api/articles/${id}/publish/?_fields=status`).set('X-Tag', tag).send({ note: 'ok', list: [1, 2] });
  assertJson(t, res, 200, { status: 'published' });
  t.deepEqual(handlerCalls.filter((line) => line.startsWith(tag)), [`${tag} publish {"note":"ok","list":[1,2]}`]);
});

test('item actions find their document as Fetch does: unknown, uncastable, outside the queryset or the resource rule → 404, handler not run', async (t) => {
  const tag = uniqueTag();
  const hidden = await article(tag, { hidden: true });
  const elsewhere = await article(`${tag}-other`);
  const missing = new mongoose.Types.ObjectId().toHexString();
  for (const pk of [missing, 'not-an-id', hidden, elsewhere, '%00', '..']) {
    const res = await request(env().server).post(`/api/articles/${pk}/publish/`).set('X-Tag', tag);
    assertJson(t, res, 404, { error: 'Not found' });
  }
  t.is(await statusOf(hidden), 'draft');
  t.is(await statusOf(elsewhere), 'draft');
  t.deepEqual(handlerCalls.filter((line) => line.startsWith(tag)), []);
});

test('a handler returning undefined answers 204 without a body', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).delete(`/api/articles/${id}/archive/`).set('X-Tag', tag);
  t.is(res.status, 204);
  t.is(res.text, '');
  t.is(await statusOf(id), 'archived');
});

test('a GET action answers its plain value as JSON; HEAD answers it without a body', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).get(`/api/articles/${id}/summary/`).set('X-Tag', tag);
  assertJson(t, res, 200, { title: 'A short title', words: 3 });
  const head = await request(env().server).head(`/api/articles/${id}/summary/`).set('X-Tag', tag);
  t.is(head.status, 200);
  t.falsy(head.text);
});

test('errors of the handler: an HttpError is its JSON answer, anything else a 500 reported to onError', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const refused = await request(env().server).post(`/api/articles/${id}/fail/`).set('X-Tag', tag).send({ how: 'validation' });
  assertJson(t, refused, 400, { 'field-errors': { how: 'Not today' } });
  const before = errors.length;
  const bug = await request(env().server).post(`/api/articles/${id}/fail/`).set('X-Tag', tag);
  assertJson(t, bug, 500, { error: 'Internal Server Error' });
  t.true(errors.slice(before).some((error) => error instanceof Error && error.message === 'action bug'));
});

test('other verbs on an action URL → 405 with Allow; OPTIONS lists the action verb', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  for (const verb of ['get', 'put', 'patch', 'delete'] as const) {
    const res = await request(env().server)[verb](`/api/articles/${id}/publish/`).set('X-Tag', tag);
    assertJson(t, res, 405, { error: 'Method not allowed' });
    t.is(res.headers.allow, 'POST, OPTIONS');
  }
  const post = await request(env().server).post(`/api/articles/${id}/summary/`).set('X-Tag', tag);
  assertJson(t, post, 405, { error: 'Method not allowed' });
  t.is(post.headers.allow, 'GET, HEAD, OPTIONS');
  const options = await request(env().server).options(`/api/articles/${id}/publish/`).set('X-Tag', tag);
  t.is(options.status, 204);
  t.is(options.headers.allow, 'POST, OPTIONS');
  const collection = await request(env().server).post('/api/articles/stats/').set('X-Tag', tag);
  assertJson(t, collection, 405, { error: 'Method not allowed' });
  t.is(collection.headers.allow, 'GET, HEAD, OPTIONS');
  t.is(await statusOf(id), 'draft');
});

test('an Accept without JSON → 406 before the handler runs', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).post(`/api/articles/${id}/publish/`).set('X-Tag', tag).set('Accept', 'text/html');
  assertJson(t, res, 406, { error: 'Invalid Accept header requested' });
  t.is(await statusOf(id), 'draft');
});

test('unknown action names and deeper paths are the JSON 404 of unmatched paths', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  for (const path of [`/api/articles/${id}/unpublish/`, `/api/articles/${id}/publish/extra/`, `/api/articles/${id}/stats/`, '/api/articles/summary/x/']) {
    const res = await request(env().server).post(path).set('X-Tag', tag);
    assertJson(t, res, 404, { error: 'Not found' });
  }
});

// ---- bodies: the write rules -------------------------------------------------------------------

test('action bodies follow the write rules: 415 not JSON, 400 malformed / bad keys / too deep, 413 too large — handler not run', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const url = `/api/articles/${id}/publish/`;
  const text = await request(env().server).post(url).set('X-Tag', tag).set('Content-Type', 'text/plain').send('publish');
  assertJson(t, text, 415, NOT_JSON);
  const malformed = await request(env().server).post(url).set('X-Tag', tag).set('Content-Type', 'application/json').send('{"a":');
  assertJson(t, malformed, 400, INVALID_JSON);
  const nan = await request(env().server).post(url).set('X-Tag', tag).set('Content-Type', 'application/json').send('NaN');
  assertJson(t, nan, 400, INVALID_JSON);
  const dollar = await request(env().server).post(url).set('X-Tag', tag).send({ $where: 'sleep(1000)' });
  assertJson(t, dollar, 400, { error: 'Invalid key "$where": keys may not start with "$".' });
  const deep = await request(env().server).post(url).set('X-Tag', tag).set('Content-Type', 'application/json').send(`${'['.repeat(40)}${']'.repeat(40)}`);
  assertJson(t, deep, 400, { error: 'The request body is nested deeper than 32 levels.' });
  const large = await request(env().server).post(`/strict/articles/${id}/publish/`).set('X-Tag', tag).send({ note: 'x'.repeat(100) });
  assertJson(t, large, 413, { error: 'The request body is larger than the limit of 64 bytes.' });
  t.is(await statusOf(id), 'draft');
  t.deepEqual(handlerCalls.filter((line) => line.startsWith(tag)), []);
});

test('a body the client sends is parsed as JSON whatever its value: scalars, null and arrays come back as sent', async (t) => {
  const tag = uniqueTag();
  for (const value of ['42', '"text"', 'null', 'true', '[1,"a",null]', '{"nested":{"a":[{}]}}']) {
    const res = await request(env().server).put('/api/articles/echo/').set('X-Tag', tag).set('Content-Type', 'application/json').send(value);
    t.is(res.status, 200, value);
    t.is(res.text, value);
    t.regex(res.headers['content-type'] ?? '', /^application\/json; charset=utf-8$/);
  }
  const none = await request(env().server).put('/api/articles/echo/').set('X-Tag', tag);
  t.is(none.status, 204);
});

test('prototype-pollution keys are removed from the body the handler sees', async (t) => {
  const tag = uniqueTag();
  const res = await request(env().server).put('/api/articles/echo/').set('X-Tag', tag).set('Content-Type', 'application/json').send('{"__proto__":{"x":1},"a":1}');
  assertJson(t, res, 200, { a: 1 });
});

// ---- collection actions ------------------------------------------------------------------------

test('GET <url>stats/: a collection action on the narrowed queryset', async (t) => {
  const tag = uniqueTag();
  await article(tag);
  await article(tag);
  await article(tag, { hidden: true });
  const res = await request(env().server).get('/api/articles/stats').set('X-Tag', tag);
  assertJson(t, res, 200, { count: 2 });
});

test('POST <url>publish-all/: a list of documents of the resource is answered as the resource serializes them', async (t) => {
  const tag = uniqueTag();
  const first = await article(tag, { title: 'one' });
  await article(tag, { title: 'two' });
  const res = await request(env().server).post('/api/articles/publish-all/?_fields=title,status').set('X-Tag', tag).send({ titles: ['one'] });
  assertJson(t, res, 200, [{ title: 'one', status: 'published' }]);
  t.is(await statusOf(first), 'published');
  const invalid = await request(env().server).post('/api/articles/publish-all/').set('X-Tag', tag).send({});
  assertJson(t, invalid, 400, { 'field-errors': { titles: 'A list of titles is required.' } });
});

test('ctx.state.mongorest.method is the action name', async (t) => {
  const res = await request(env().server).patch('/api/articles/whoami/').set('X-Tag', uniqueTag());
  assertJson(t, res, 200, { method: 'whoami', view: 'ArticleView', resource: 'ArticleResource' });
});

test('a handler that sets ctx.status and ctx.body itself and returns nothing keeps its answer', async (t) => {
  const res = await request(env().server).post('/api/articles/custom/').set('X-Tag', uniqueTag());
  assertJson(t, res, 202, { queued: true });
  const none = await request(env().server).post('/api/articles/nothing/').set('X-Tag', uniqueTag());
  t.is(none.status, 204);
});

test('a collection action does not hide the documents: GET <url><pk>/ still fetches, and a 24-hex pk is never an action', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const res = await request(env().server).get(`/api/articles/${id}/`).set('X-Tag', tag);
  assertJson(t, res, 200, { id, title: 'A short title', status: 'draft' });
});

// ---- permissions and authentication -------------------------------------------------------------

test('actions are keyed by name in the permissions table: a rule decides, an unlisted action is refused to everyone', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const anonymous = await request(env().server).post(`/api/guarded/${id}/publish/`).set('X-Tag', tag);
  assertJson(t, anonymous, 401, { error: 'Unauthorized' });
  t.is(await statusOf(id), 'draft');
  const editor = await request(env().server).post(`/api/guarded/${id}/publish/?_fields=status`).set('X-Tag', tag).set('X-API-Key', 'editor-key');
  assertJson(t, editor, 200, { status: 'published' });
  t.is(editor.headers['cache-control'], 'private, no-cache');
  const unlisted = await request(env().server).delete(`/api/guarded/${id}/archive/`).set('X-Tag', tag).set('X-API-Key', 'editor-key');
  assertJson(t, unlisted, 403, { error: 'Forbidden' });
  t.is(await statusOf(id), 'published');
  const open = await request(env().server).get('/api/guarded/stats/').set('X-Tag', tag);
  assertJson(t, open, 200, { count: 1 });
});

test('the permission refusal comes before the body is read and before the lookup', async (t) => {
  const tag = uniqueTag();
  const missing = new mongoose.Types.ObjectId().toHexString();
  const res = await request(env().server).post(`/api/guarded/${missing}/publish/`).set('X-Tag', tag).set('Content-Type', 'text/plain').send('x');
  assertJson(t, res, 401, { error: 'Unauthorized' });
});

test('dispatch runs around actions with the action name, and may rewrite their answers', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  const published = await request(env().server).post(`/api/wrapped/${id}/publish/?_fields=status`).set('X-Tag', tag);
  assertJson(t, published, 200, { method: 'publish', status: 200, answer: { status: 'published' } });
  const nothing = await request(env().server).post('/api/wrapped/nothing/').set('X-Tag', tag);
  assertJson(t, nothing, 200, { method: 'nothing', status: 204, answer: null });
});

test('Idempotency-Key is not honoured on actions (this round): each request runs the handler', async (t) => {
  const tag = uniqueTag();
  const id = await article(tag);
  for (let round = 0; round < 2; round++) {
    const res = await request(env().server).post(`/strict/articles/${id}/publish/?_fields=status`).set('X-Tag', tag).set('Idempotency-Key', `k-${tag}`);
    assertJson(t, res, 200, { status: 'published' });
    t.is(res.headers['idempotent-replayed'], undefined);
  }
  t.deepEqual(handlerCalls.filter((line) => line.startsWith(tag)), [`${tag} publish undefined`, `${tag} publish undefined`]);
});

// ---- registration ------------------------------------------------------------------------------

test('action() refuses names that are not safe literal URL segments, method names, bad targets, verbs and handlers', (t) => {
  const handler = () => undefined;
  const segmentError = (got: string) => ({
    instanceOf: TypeError,
    message: `action() name must be a URL segment of up to 64 letters, digits, "-" and "_", starting with a letter (got ${got}).`,
  });
  for (const name of ['', '1st', '-x', '_x', 'a/b', 'a b', '..', '.', 'a.b', '%2e', ':pk', 'a*', '{x}', 'é', 'x'.repeat(65)]) {
    t.throws(() => action({ name, target: 'item', handler }), segmentError(JSON.stringify(name)), name);
  }
  t.throws(() => action({ name: 42 as unknown as string, target: 'item', handler }), segmentError('42'));
  t.throws(() => action({ name: 'Fetch', target: 'item', handler }), { instanceOf: TypeError, message: 'action() name "Fetch" is a method name; the permissions table could not tell them apart.' });
  t.throws(() => action({ name: 'go', target: 'items' as 'item', handler }), { instanceOf: TypeError, message: 'action "go": target must be "item" or "collection" (got "items").' });
  t.throws(() => action({ name: 'go', target: 'item', verb: 'HEAD' as 'GET', handler }), { instanceOf: TypeError, message: 'action "go": verb must be one of GET, POST, PUT, PATCH, DELETE (got "HEAD").' });
  t.throws(() => action({ name: 'go', target: 'item', verb: 'post' as 'POST', handler }), { instanceOf: TypeError, message: 'action "go": verb must be one of GET, POST, PUT, PATCH, DELETE (got "post").' });
  t.throws(() => action({ name: 'go', target: 'item', handler: 'nope' as unknown as typeof handler }), { instanceOf: TypeError, message: 'action "go": handler must be a function.' });
  t.throws(() => action({ name: 'go', target: 'item', verb: 'GET', requestSchema: { type: 'object' }, handler }), {
    instanceOf: TypeError,
    message: 'action "go": a GET action reads no body, so it takes no requestSchema.',
  });
  t.is(action({ name: 'x'.repeat(64), target: 'collection', handler }).verb, 'POST');
});

test('register refuses colliding actions: duplicate names, "schema" with the schema endpoint, names that are valid pks, aliases, foreign entries', (t) => {
  const Thing: AnyModel = mongoose.model('ActionRegisterThing', new mongoose.Schema({ name: String }));
  const Keyed: AnyModel = mongoose.model('ActionRegisterKeyed', new mongoose.Schema({ _id: String, name: String }));
  const Numbered: AnyModel = mongoose.model('ActionRegisterNumbered', new mongoose.Schema({ _id: Number, name: String }));
  const handler = () => undefined;
  const viewOf = (document: AnyModel, actions: unknown[], extra: Partial<ResourceView> = {}) =>
    class CollidingView extends ResourceView {
      resource = class ThingResource extends Resource {
        document = document;
      };
      methods = [methods.Fetch];
      override actions = actions as ResourceView['actions'];
      constructor() {
        super();
        Object.assign(this, extra);
      }
    };
  const register = (View: ReturnType<typeof viewOf>) => () => new MongoRest().register(View);
  t.throws(register(viewOf(Thing, [action({ name: 'go', target: 'item', handler }), action({ name: 'go', target: 'collection', handler })])), {
    instanceOf: TypeError,
    message: 'CollidingView.actions has two actions named "go".',
  });
  t.throws(register(viewOf(Thing, [action({ name: 'schema', target: 'collection', handler })], { schemaEndpoint: true })), {
    instanceOf: TypeError,
    message: 'CollidingView: the collection action "schema" collides with the schema endpoint (schemaEndpoint = true).',
  });
  t.notThrows(register(viewOf(Thing, [action({ name: 'schema', target: 'item', handler })], { schemaEndpoint: true })));
  t.notThrows(register(viewOf(Thing, [action({ name: 'schema', target: 'collection', handler })])));
  const hex = 'abcdefabcdefabcdefabcdef';
  t.throws(register(viewOf(Thing, [action({ name: hex, target: 'collection', handler })])), {
    instanceOf: TypeError,
    message: `CollidingView: the collection action "${hex}" collides with the document whose pk is "${hex}" (its URL would be the same); choose a name that is not a valid pk, or make it an item action.`,
  });
  t.notThrows(register(viewOf(Thing, [action({ name: hex, target: 'item', handler })])));
  // An alias (`/things/<name>/`) and a collection action cannot share a name; an item action may.
  t.throws(register(viewOf(Thing, [action({ name: 'mine', target: 'collection', handler })], { aliases: { mine: () => undefined } })), {
    instanceOf: TypeError,
    message: 'CollidingView.aliases: "mine" is already a collection action of this view.',
  });
  t.notThrows(register(viewOf(Thing, [action({ name: 'mine', target: 'item', handler })], { aliases: { mine: () => undefined } })));
  // A string _id: every name is a valid pk, so only item actions can be mounted.
  t.throws(register(viewOf(Keyed, [action({ name: 'stats', target: 'collection', handler })])), { instanceOf: TypeError, message: /collides with the document whose pk is "stats"/ });
  t.notThrows(register(viewOf(Keyed, [action({ name: 'stats', target: 'item', handler })])));
  t.notThrows(register(viewOf(Numbered, [action({ name: 'stats', target: 'collection', handler }), action({ name: 'Infinity', target: 'collection', handler })])));
  t.throws(register(viewOf(Thing, [{ name: 'go', target: 'item', verb: 'POST', handler }])), { instanceOf: TypeError, message: 'CollidingView.actions[0] was not built with action({...}).' });
  t.throws(register(viewOf(Thing, 'go' as unknown as unknown[])), { instanceOf: TypeError, message: 'CollidingView.actions must be a list of action({...}) values.' });
});

test('the permissions table may name the view’s actions, and only those', (t) => {
  const Thing = mongoose.model('ActionPermissionThing', new mongoose.Schema({ name: String }));
  const go = action({ name: 'go', target: 'item', handler: () => undefined });
  class ThingResource extends Resource {
    document = Thing;
  }
  class WithAction extends ResourceView {
    resource = ThingResource;
    methods = [methods.Fetch];
    override actions = [go];
    permissions = { Fetch: allow, go: authenticated };
  }
  class WithoutAction extends ResourceView {
    resource = ThingResource;
    methods = [methods.Fetch];
    permissions = { Fetch: allow, go: authenticated };
  }
  t.notThrows(() => new MongoRest().register(WithAction));
  t.throws(() => new MongoRest().register(WithoutAction), {
    instanceOf: TypeError,
    message: 'WithoutAction.permissions names an unknown method "go" (known: List, Create, BulkCreate, BulkUpdate, BulkDelete, Fetch, Update, Patch, Delete).',
  });
});
