/**
 * The view knows what it serves (issue 14, item 1): `ctx.state.mongorest = { method, view, resource }` is
 * set before authentication, and `ResourceView.dispatch(ctx, method, next)` runs around every handler —
 * after authentication, the `permissions` table and the `Idempotency-Key` — and may answer by itself,
 * wrap the handler's answer, or throw (answered as JSON). As flask-mongorest's test_view_methods: a view
 * whose dispatch answers `{"method": method}` for every method.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  AuthenticationBase,
  Forbidden,
  NotFound,
  Resource,
  ResourceView,
  allow,
  authenticated,
  methods,
  type MongoRestState,
  type RequestContext,
} from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const everyMethod = [
  methods.List,
  methods.Fetch,
  methods.Create,
  methods.BulkCreate,
  methods.Update,
  methods.Patch,
  methods.BulkUpdate,
  methods.Delete,
  methods.BulkDelete,
];

/** What the strategy saw in `ctx.state.mongorest` when it ran (before authentication decided). */
const seenByStrategy: string[] = [];
/** `X-Key: ok` authenticates as `{ id: 'u1' }`; the strategy records the state it was handed. */
class RecordingKey extends AuthenticationBase {
  scheme = 'Key';
  authorized(ctx: RequestContext): boolean {
    const served = ctx.state.mongorest as MongoRestState | undefined;
    const resourceName = served ? served.resource.constructor.name : 'none';
    const line = served ? `${served.method} ${served.view.constructor.name} ${resourceName} ${served.resource instanceof Resource}` : 'unset';
    seenByStrategy.push(`${ctx.get('X-Trace')} ${line}`);
    if (ctx.get('X-Key') !== 'ok') return false;
    ctx.state.user = { id: 'u1' };
    return true;
  }
}

const dispatchCalls: string[] = [];
const errors: unknown[] = [];

function build(connection: Connection) {
  const Thing = connection.model('Thing', new mongoose.Schema({ name: { type: String, required: true }, tag: String }));
  class ThingResource extends Resource {
    document = Thing;
    fields = ['id', 'name', 'tag'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }

  /** test_view_methods: dispatch answers by itself, the handler never runs. */
  class MethodEchoView extends ResourceView {
    resource = ThingResource;
    methods = everyMethod;
    override dispatch(ctx: RequestContext, method: string) {
      ctx.body = { method };
    }
  }

  /** Wraps the handler's answer: before and after `next()`. */
  class WrappingView extends ResourceView {
    resource = ThingResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Delete];
    override async dispatch(ctx: RequestContext, method: string, next: () => Promise<void>) {
      dispatchCalls.push(`${ctx.get('X-Tag')} before ${method}`);
      if (ctx.get('X-Refuse') === 'forbidden') throw new Forbidden();
      if (ctx.get('X-Refuse') === 'bug') throw new Error('dispatch bug');
      if (ctx.get('X-Refuse') === 'twice') {
        await next();
        await next();
      }
      try {
        await next();
      } catch (error) {
        if (error instanceof NotFound && ctx.get('X-Fallback') === 'yes') {
          ctx.body = { fallback: true };
          return;
        }
        throw error;
      }
      dispatchCalls.push(`${ctx.get('X-Tag')} after ${method} ${ctx.status}`);
      const served = ctx.state.mongorest as MongoRestState;
      if (ctx.status === 201) ctx.status = 202;
      if (ctx.body !== null && ctx.body !== undefined) ctx.body = { method, resource: served.resource.constructor.name, answer: ctx.body };
    }
  }

  /** Authentication and a permissions table: dispatch runs only for requests they let through. */
  class GuardedView extends ResourceView {
    resource = ThingResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Delete];
    authenticationMethods = [RecordingKey, AnonymousAuthentication];
    permissions = { List: allow, Create: authenticated };
    override dispatch(ctx: RequestContext, method: string, next: () => Promise<void>) {
      dispatchCalls.push(`${ctx.get('X-Tag')} guarded ${method}`);
      return next();
    }
  }

  /** Authentication without an anonymous fallback: refused requests never reach dispatch. */
  class KeyOnlyView extends ResourceView {
    resource = ThingResource;
    methods = [methods.List, methods.Fetch];
    authenticationMethods = [RecordingKey];
    override dispatch(ctx: RequestContext, method: string, next: () => Promise<void>) {
      dispatchCalls.push(`${ctx.get('X-Tag')} key-only ${method}`);
      return next();
    }
  }

  const api = new TestMongoRest({ prefix: '/api', onError: (error) => errors.push(error) });
  api.register(MethodEchoView, { url: '/echo/', name: 'echo' });
  api.register(WrappingView, { url: '/wrapped/', name: 'wrapped' });
  api.register(GuardedView, { url: '/guarded/', name: 'guarded' });
  api.register(KeyOnlyView, { url: '/key-only/', name: 'keyonly' });

  const keyed = new TestMongoRest({ prefix: '/keyed', idempotency: true });
  keyed.register(WrappingView, { url: '/wrapped/', name: 'wrapped' });

  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods()).use(keyed.routes());
  return { app, Thing };
}

const env = useApp(test, import.meta.url, build);

async function stored(tag: string): Promise<string[]> {
  const docs = (await env().Thing.find({ tag }).sort({ name: 1 }).lean()) as { name: string }[];
  return docs.map((doc) => doc.name);
}

const echoCases: [string, 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete', 'collection' | 'item', unknown][] = [
  ['List', 'get', 'collection', undefined],
  ['Fetch', 'get', 'item', undefined],
  ['Create', 'post', 'collection', { name: 'x' }],
  ['BulkCreate', 'post', 'collection', [{ name: 'x' }, { name: 'y' }]],
  ['Update', 'put', 'item', { name: 'x' }],
  ['Patch', 'patch', 'item', { name: 'x' }],
  ['BulkUpdate', 'put', 'collection', { name: 'x' }],
  ['Delete', 'delete', 'item', undefined],
  ['BulkDelete', 'delete', 'collection', undefined],
];

for (const [method, verb, shape, body] of echoCases) {
  test(`test_view_methods: a dispatch override answers {"method": "${method}"} for ${verb.toUpperCase()} on the ${shape} URL, nothing written`, async (t) => {
    const tag = uniqueTag();
    const [existing] = await env().Thing.create([{ name: 'kept', tag }]);
    const url = shape === 'item' ? `/api/echo/${String(existing!._id)}/` : '/api/echo/';
    let call = request(env().server)[verb](url).set('X-Tag', tag);
    if (body !== undefined) call = call.set('Content-Type', 'application/json').send(JSON.stringify(body));
    const res = await call;
    assertJson(t, res, 200, { method });
    t.deepEqual(await stored(tag), ['kept']);
  });
}

test('HEAD is dispatched as the GET method it answers like (Fetch), without a body', async (t) => {
  const tag = uniqueTag();
  const [existing] = await env().Thing.create([{ name: 'kept', tag }]);
  const res = await request(env().server).head(`/api/echo/${String(existing!._id)}/`).set('X-Tag', tag);
  t.is(res.status, 200);
  t.deepEqual(res.body, {});
});

test('code before and after next(): the handler runs in between and the override rewrites its answer', async (t) => {
  const tag = uniqueTag();
  const [doc] = await env().Thing.create([{ name: 'one', tag }]);
  const id = String(doc!._id);
  const fetched = await request(env().server).get(`/api/wrapped/${id}/`).set('X-Tag', tag);
  assertJson(t, fetched, 200, { method: 'Fetch', resource: 'ThingResource', answer: { id, name: 'one', tag } });
  const listed = await request(env().server).get('/api/wrapped/?_fields=name').set('X-Tag', tag);
  assertJson(t, listed, 200, { method: 'List', resource: 'ThingResource', answer: { data: [{ name: 'one' }], has_more: false } });
  t.deepEqual(
    dispatchCalls.filter((line) => line.startsWith(tag)),
    [`${tag} before Fetch`, `${tag} after Fetch 200`, `${tag} before List`, `${tag} after List 200`],
  );
});

test('the override may replace the status: a create answers 202 with the wrapped document, which is saved', async (t) => {
  const tag = uniqueTag();
  const res = await request(env().server).post('/api/wrapped/?_fields=name').set('X-Tag', tag).send({ name: 'made', tag });
  t.is(res.status, 202);
  t.deepEqual(res.body, { method: 'Create', resource: 'ThingResource', answer: { name: 'made' } });
  t.regex(res.headers.location ?? '', /^\/api\/wrapped\/[0-9a-f]{24}\/$/);
  t.deepEqual(await stored(tag), ['made']);
});

test('a delete answers 204 through the override (nothing to wrap)', async (t) => {
  const tag = uniqueTag();
  const [doc] = await env().Thing.create([{ name: 'gone', tag }]);
  const res = await request(env().server).delete(`/api/wrapped/${String(doc!._id)}/`).set('X-Tag', tag);
  t.is(res.status, 204);
  t.deepEqual(await stored(tag), []);
  t.deepEqual(
    dispatchCalls.filter((line) => line.startsWith(tag)),
    [`${tag} before Delete`, `${tag} after Delete 204`],
  );
});

test('an HttpError thrown by the override before next() is its JSON answer, and the handler never runs', async (t) => {
  const tag = uniqueTag();
  const res = await request(env().server).post('/api/wrapped/').set('X-Tag', tag).set('X-Refuse', 'forbidden').send({ name: 'never', tag });
  assertJson(t, res, 403, { error: 'Forbidden' });
  t.is(res.headers.location, undefined);
  t.deepEqual(await stored(tag), []);
});

test('any other error thrown by the override is a 500 without details, reported to onError', async (t) => {
  const tag = uniqueTag();
  const before = errors.length;
  const res = await request(env().server).get('/api/wrapped/').set('X-Tag', tag).set('X-Refuse', 'bug');
  assertJson(t, res, 500, { error: 'Internal Server Error' });
  t.true(errors.slice(before).some((error) => error instanceof Error && error.message === 'dispatch bug'));
});

test('an error of the handler reaches the override through next(), and is answered as JSON when rethrown', async (t) => {
  const tag = uniqueTag();
  const missing = new mongoose.Types.ObjectId().toHexString();
  const res = await request(env().server).get(`/api/wrapped/${missing}/`).set('X-Tag', tag);
  assertJson(t, res, 404, { error: 'Not found' });
  const rescued = await request(env().server).get(`/api/wrapped/${missing}/`).set('X-Tag', tag).set('X-Fallback', 'yes');
  assertJson(t, rescued, 200, { fallback: true });
  const badParameter = await request(env().server).get('/api/wrapped/?_limit=x').set('X-Tag', tag);
  assertJson(t, badParameter, 400, { error: '_limit must be an integer (got "x" instead).' });
});

test('next() called twice is a bug of the override: 500, the handler ran once', async (t) => {
  const tag = uniqueTag();
  const before = errors.length;
  const res = await request(env().server).post('/api/wrapped/').set('X-Tag', tag).set('X-Refuse', 'twice').send({ name: 'once', tag });
  assertJson(t, res, 500, { error: 'Internal Server Error' });
  t.true(errors.slice(before).some((error) => error instanceof Error && error.message === 'WrappingView.dispatch called next() more than once.'));
  t.deepEqual(await stored(tag), ['once']);
});

test('ctx.state.mongorest is set before authentication: the strategy sees the method, the view and the resource', async (t) => {
  const tag = uniqueTag();
  const [doc] = await env().Thing.create([{ name: 'one', tag }]);
  const refused = await request(env().server).get(`/api/key-only/${String(doc!._id)}/`).set('X-Tag', tag).set('X-Trace', `${tag}-a`);
  assertJson(t, refused, 401, { error: 'Unauthorized' });
  const listed = await request(env().server).get('/api/key-only/').set('X-Tag', tag).set('X-Key', 'ok').set('X-Trace', `${tag}-b`);
  t.is(listed.status, 200);
  const created = await request(env().server).post('/api/guarded/').set('X-Tag', tag).set('X-Key', 'ok').set('X-Trace', `${tag}-c`).send({ name: 'made', tag });
  t.is(created.status, 201);
  t.deepEqual(
    seenByStrategy.filter((line) => line.startsWith(tag)),
    [`${tag}-a Fetch KeyOnlyView ThingResource true`, `${tag}-b List KeyOnlyView ThingResource true`, `${tag}-c Create GuardedView ThingResource true`],
  );
});

test('a view with Create and BulkCreate: the state says BulkCreate once the array body decided', async (t) => {
  const tag = uniqueTag();
  const res = await request(env().server).post('/api/echo/').set('X-Tag', tag).send([{ name: 'a' }]);
  assertJson(t, res, 200, { method: 'BulkCreate' });
});

test('dispatch runs only for requests that authentication and the permissions table let through', async (t) => {
  const tag = uniqueTag();
  const [doc] = await env().Thing.create([{ name: 'one', tag }]);
  const anonymousCreate = await request(env().server).post('/api/guarded/').set('X-Tag', tag).send({ name: 'no', tag });
  assertJson(t, anonymousCreate, 401, { error: 'Unauthorized' });
  const unlisted = await request(env().server).get(`/api/guarded/${String(doc!._id)}/`).set('X-Tag', tag).set('X-Key', 'ok');
  assertJson(t, unlisted, 403, { error: 'Forbidden' });
  const notEnabled = await request(env().server).put(`/api/guarded/${String(doc!._id)}/`).set('X-Tag', tag).send({ name: 'no' });
  assertJson(t, notEnabled, 405, { error: 'Method not allowed' });
  const refusedKey = await request(env().server).get('/api/key-only/').set('X-Tag', tag);
  assertJson(t, refusedKey, 401, { error: 'Unauthorized' });
  const listed = await request(env().server).get('/api/guarded/?_fields=name').set('X-Tag', tag);
  assertJson(t, listed, 200, { data: [{ name: 'one' }], has_more: false });
  t.deepEqual(dispatchCalls.filter((line) => line.startsWith(tag)), [`${tag} guarded List`]);
});

test('with Idempotency-Key, dispatch runs inside the keyed write: a retry replays its answer without running it again', async (t) => {
  const tag = uniqueTag();
  const key = `k-${tag}`;
  const first = await request(env().server).post('/keyed/wrapped/?_fields=name').set('X-Tag', tag).set('Idempotency-Key', key).send({ name: 'once', tag });
  t.is(first.status, 202);
  t.deepEqual(first.body, { method: 'Create', resource: 'ThingResource', answer: { name: 'once' } });
  const retry = await request(env().server).post('/keyed/wrapped/?_fields=name').set('X-Tag', tag).set('Idempotency-Key', key).send({ name: 'once', tag });
  t.is(retry.status, 202);
  t.deepEqual(retry.body, first.body);
  t.is(retry.headers['idempotent-replayed'], 'true');
  t.deepEqual(await stored(tag), ['once']);
  t.deepEqual(dispatchCalls.filter((line) => line.startsWith(tag)), [`${tag} before Create`, `${tag} after Create 201`]);
});
