/**
 * Content negotiation (issue 12 §7): an Accept header that allows no JSON → 406
 * `{"error": "Invalid Accept header requested"}` before anything is done; `*\/*`, `application/*`, a
 * missing header, and lists preferring another type but allowing JSON → JSON.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type RequestContext } from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const Thing = connection.model('Thing', new mongoose.Schema({ name: String, tag: String }));
  class ThingResource extends Resource {
    document = Thing;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class ThingView extends ResourceView {
    resource = ThingResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(ThingView, { url: '/things/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Thing };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);
const NOT_ACCEPTABLE = { error: 'Invalid Accept header requested' };

async function seed() {
  const tag = uniqueTag('neg');
  const doc = await env().Thing.create({ name: 'n', tag });
  return { tag, url: `/api/things/${String(doc._id)}/` };
}

for (const accept of ['text/html', 'application/xml', 'text/*', 'application/json;q=0', 'application/json; charset=latin1', 'image/png, text/plain;q=0.5']) {
  test(`Accept: ${accept} → 406 on lists and items`, async (t) => {
    const { tag, url } = await seed();
    assertJson(t, await agent().get('/api/things/').set('X-Tag', tag).set('Accept', accept), 406, NOT_ACCEPTABLE);
    assertJson(t, await agent().get(url).set('X-Tag', tag).set('Accept', accept), 406, NOT_ACCEPTABLE);
  });
}

for (const accept of [undefined, '*/*', 'application/*', 'application/json', 'text/html, application/json;q=0.1', 'application/json; charset=utf-8']) {
  test(`Accept: ${accept ?? '(none)'} → JSON`, async (t) => {
    const { tag, url } = await seed();
    const list = agent().get('/api/things/').set('X-Tag', tag);
    const item = agent().get(url).set('X-Tag', tag);
    if (accept !== undefined) {
      list.set('Accept', accept);
      item.set('Accept', accept);
    }
    assertJson(t, await list, 200, { data: [{ id: url.split('/')[3], name: 'n', tag }], has_more: false });
    t.is((await item).status, 200);
  });
}

test('a write with an unacceptable Accept → 406 and nothing written', async (t) => {
  const { tag, url } = await seed();
  assertJson(t, await agent().post('/api/things/').set('Accept', 'text/html').send({ name: 'x', tag }), 406, NOT_ACCEPTABLE);
  assertJson(t, await agent().put(url).set('X-Tag', tag).set('Accept', 'text/html').send({ name: 'x' }), 406, NOT_ACCEPTABLE);
  assertJson(t, await agent().delete(url).set('X-Tag', tag).set('Accept', 'text/html'), 406, NOT_ACCEPTABLE);
  t.deepEqual((await env().Thing.find({ tag }).lean()).map((doc) => doc.name), ['n']);
});

test('HEAD with an unacceptable Accept → 406 without a body; OPTIONS is not negotiated', async (t) => {
  const { tag, url } = await seed();
  const head = await agent().head(url).set('X-Tag', tag).set('Accept', 'text/html');
  t.is(head.status, 406);
  t.is(head.text as string | undefined, undefined);
  t.is((await agent().options(url).set('Accept', 'text/html')).status, 204);
});
