/**
 * Routing matrix (SPEC §4): for each one-method view, every verb on both URL shapes, with and without the
 * trailing slash — one test per cell, generated from the table below. Then bad pks and unknown paths.
 */
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type MethodMarker, type RequestContext } from '../lib/index.js';
import { assertJson, uniqueTag, useApp, type AppServer } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const Thing = connection.model('Thing', new mongoose.Schema({ name: { type: String, required: true }, tag: String }));

  /** Each test scopes the collection to its own documents with the `X-Tag` header. */
  class ThingResource extends Resource {
    document = Thing;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  const api = new TestMongoRest({ prefix: '/api' });
  for (const view of views) {
    class OneMethodView extends ResourceView {
      resource = ThingResource;
      methods = [view.marker];
    }
    api.register(OneMethodView, { url: `/r/${view.slug}/`, name: view.slug });
  }
  class EveryMethodView extends ResourceView {
    resource = ThingResource;
    methods = [methods.List, methods.Create, methods.BulkUpdate, methods.Fetch, methods.Update, methods.Delete];
  }
  api.register(EveryMethodView, { url: '/r/every/', name: 'every' });
  // A model whose _id is a number: pks are cast to numbers.
  const Numbered = connection.model('Numbered', new mongoose.Schema({ _id: Number, name: String }));
  class NumberedView extends ResourceView {
    resource = class NumberedResource extends Resource {
      document = Numbered;
    };
    methods = [methods.Fetch, methods.Delete];
  }
  api.register(NumberedView, { url: '/numbered/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Thing, Numbered };
}

type Shape = 'collection' | 'item';
type Verb = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
const verbs: readonly Verb[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const shapes: readonly Shape[] = ['collection', 'item'];

interface ViewCase {
  label: string;
  slug: string;
  marker: MethodMarker;
  /** The exact `Allow` header of each URL shape. */
  allow: Record<Shape, string>;
}

const views: readonly ViewCase[] = [
  { label: 'List-only', slug: 'list-only', marker: methods.List, allow: { collection: 'GET, HEAD, OPTIONS', item: 'OPTIONS' } },
  { label: 'Fetch-only', slug: 'fetch-only', marker: methods.Fetch, allow: { collection: 'OPTIONS', item: 'GET, HEAD, OPTIONS' } },
  { label: 'Create-only', slug: 'create-only', marker: methods.Create, allow: { collection: 'POST, OPTIONS', item: 'OPTIONS' } },
  { label: 'Update-only', slug: 'update-only', marker: methods.Update, allow: { collection: 'OPTIONS', item: 'PUT, OPTIONS' } },
  { label: 'BulkUpdate-only', slug: 'bulkupdate-only', marker: methods.BulkUpdate, allow: { collection: 'PUT, OPTIONS', item: 'OPTIONS' } },
  { label: 'Patch-only', slug: 'patch-only', marker: methods.Patch, allow: { collection: 'OPTIONS', item: 'PATCH, OPTIONS' } },
  { label: 'BulkDelete-only', slug: 'bulkdelete-only', marker: methods.BulkDelete, allow: { collection: 'DELETE, OPTIONS', item: 'OPTIONS' } },
  { label: 'BulkCreate-only', slug: 'bulkcreate-only', marker: methods.BulkCreate, allow: { collection: 'POST, OPTIONS', item: 'OPTIONS' } },
  { label: 'Delete-only', slug: 'delete-only', marker: methods.Delete, allow: { collection: 'OPTIONS', item: 'DELETE, OPTIONS' } },
];

const env = useApp(test, import.meta.url, build);

type Expectation = 'normal' | 'options' | 'did-you-mean' | 'not-allowed';

function expectationOf(view: ViewCase, verb: Verb, shape: Shape): Expectation {
  if (verb === 'OPTIONS') return 'options';
  const { marker } = view;
  const enabled = marker.target === shape && (marker.verb === verb || (verb === 'HEAD' && marker.verb === 'GET'));
  if (enabled) return 'normal';
  if (shape === 'item' && verb === 'POST' && (marker.name === 'Create' || marker.name === 'BulkCreate')) return 'did-you-mean';
  return 'not-allowed';
}

const describeExpectation: Record<Expectation, string> = {
  normal: 'its normal answer',
  options: '204 with Allow',
  'did-you-mean': '404 "Did you mean to use PUT?"',
  'not-allowed': '405 with Allow',
};

function send(server: AppServer, verb: Verb, url: string, tag: string) {
  const agent = request(server);
  const base = {
    GET: () => agent.get(url),
    HEAD: () => agent.head(url),
    POST: () => agent.post(url),
    PUT: () => agent.put(url),
    PATCH: () => agent.patch(url),
    DELETE: () => agent.delete(url),
    OPTIONS: () => agent.options(url),
  }[verb]().set('X-Tag', tag);
  return verb === 'POST' || verb === 'PUT' || verb === 'PATCH' ? base.send({ name: 'sent', tag }) : base;
}

const url = (slug: string, shape: Shape, slash: boolean, id: string) =>
  `/api/r/${slug}${shape === 'item' ? `/${id}` : ''}${slash ? '/' : ''}`;

/** The answer of the one enabled method (status, body, headers and effect on the database). */
async function assertNormalAnswer(t: ExecutionContext, view: ViewCase, verb: Verb, slash: boolean): Promise<void> {
  const { server, Thing } = env();
  const tag = uniqueTag(view.slug);
  const seeded = await Thing.create({ name: 'before', tag });
  const id = String(seeded._id);
  const res = await send(server, verb, url(view.slug, view.marker.target, slash, id), tag);
  switch (`${view.marker.name} ${verb}`) {
    case 'List GET':
      return assertJson(t, res, 200, { data: [{ id, name: 'before', tag }], has_more: false });
    case 'Fetch GET':
      return assertJson(t, res, 200, { id, name: 'before', tag });
    case 'List HEAD':
    case 'Fetch HEAD':
      t.is(res.status, 200);
      t.regex(res.headers['content-type'] ?? '', /^application\/json/);
      t.is(res.text as string | undefined, undefined);
      return;
    case 'Create POST': {
      assertJson(t, res, 201, { id: res.body.id, name: 'sent', tag });
      t.is(res.headers.location, `/api/r/${view.slug}/${res.body.id}/`);
      t.is(await Thing.countDocuments({ tag }), 2);
      return;
    }
    case 'Update PUT':
      assertJson(t, res, 200, { id, name: 'sent', tag });
      t.is((await Thing.findById(id).lean())?.name, 'sent');
      return;
    case 'Patch PATCH':
      assertJson(t, res, 200, { id, name: 'sent', tag });
      t.is((await Thing.findById(id).lean())?.name, 'sent');
      return;
    case 'BulkDelete DELETE':
      // The matrix sends no filter, and a bulk delete without one deletes nothing.
      assertJson(t, res, 400, { error: 'A bulk delete needs at least one filter.' });
      t.is(await Thing.countDocuments({ tag }), 1);
      return;
    case 'BulkCreate POST':
      // The matrix sends an object; a view with only BulkCreate takes arrays.
      assertJson(t, res, 400, { error: 'JSON data must be a list of objects.' });
      t.is(await Thing.countDocuments({ tag }), 1);
      return;
    case 'BulkUpdate PUT':
      assertJson(t, res, 200, { count: 1 });
      t.is((await Thing.findById(id).lean())?.name, 'sent');
      return;
    case 'Delete DELETE':
      t.is(res.status, 204);
      t.is(res.text, '');
      t.is(await Thing.countDocuments({ tag }), 0);
      return;
    default:
      t.fail(`no normal answer for ${view.marker.name} ${verb}`);
  }
}

for (const view of views) {
  for (const shape of shapes) {
    for (const slash of [true, false]) {
      for (const verb of verbs) {
        const expectation = expectationOf(view, verb, shape);
        const name = `${view.label}: ${verb} on ${shape} URL ${slash ? 'with' : 'without'} trailing slash → ${describeExpectation[expectation]}`;
        test(name, async (t) => {
          if (expectation === 'normal') return assertNormalAnswer(t, view, verb, slash);
          const { server, Thing } = env();
          const tag = uniqueTag(view.slug);
          const res = await send(server, verb, url(view.slug, shape, slash, new mongoose.Types.ObjectId().toHexString()), tag);
          if (expectation === 'options') {
            t.is(res.status, 204);
            t.is(res.headers.allow, view.allow[shape]);
            t.is(res.text, '');
          } else if (expectation === 'did-you-mean') {
            assertJson(t, res, 404, { error: 'Did you mean to use PUT?' });
          } else if (verb === 'HEAD') {
            t.is(res.status, 405);
            t.is(res.headers.allow, view.allow[shape]);
            t.is(res.text as string | undefined, undefined);
          } else {
            assertJson(t, res, 405, { error: 'Method not allowed' });
            t.is(res.headers.allow, view.allow[shape]);
          }
          // Nothing answered with an error (or OPTIONS) may have written anything.
          t.is(await Thing.countDocuments({ tag }), 0);
        });
      }
    }
  }
}

// ---- a view with every method --------------------------------------------------------------------------

test('every-method view: Allow on the collection lists its verbs, HEAD and OPTIONS', async (t) => {
  const res = await request(env().server).patch('/api/r/every/').set('X-Tag', uniqueTag()).send({});
  assertJson(t, res, 405, { error: 'Method not allowed' });
  t.is(res.headers.allow, 'GET, POST, PUT, HEAD, OPTIONS');
});

test('every-method view: Allow on an item lists its verbs, HEAD and OPTIONS', async (t) => {
  const res = await request(env().server).patch(`/api/r/every/${new mongoose.Types.ObjectId().toHexString()}/`).send({});
  assertJson(t, res, 405, { error: 'Method not allowed' });
  t.is(res.headers.allow, 'GET, PUT, DELETE, HEAD, OPTIONS');
});

test('every-method view: POST on an item → 404 "Did you mean to use PUT?"', async (t) => {
  const res = await request(env().server).post(`/api/r/every/${new mongoose.Types.ObjectId().toHexString()}`).send({ name: 'x' });
  assertJson(t, res, 404, { error: 'Did you mean to use PUT?' });
});

// ---- bad and unknown pks -------------------------------------------------------------------------------

const badPks: readonly [string, string][] = [
  ['a word', 'nope'],
  ['a number', '123'],
  ['24 characters that are not hex', 'zzzzzzzzzzzzzzzzzzzzzzzz'],
  ['25 hex digits', '0123456789abcdef012345678'],
  ['23 hex digits', '0123456789abcdef0123456'],
  ['a percent-encoded unicode character', '%E2%9C%93'],
  ['a percent-encoded percent sign', '%25'],
  ['a stray percent sign', '%'],
  ['a MongoDB operator', '%24ne'],
  ['an object in brackets', '%5Bobject%20Object%5D'],
];

const itemMethods: readonly [string, string, Verb][] = [
  ['Fetch', 'fetch-only', 'GET'],
  ['Update', 'update-only', 'PUT'],
  ['Delete', 'delete-only', 'DELETE'],
];

for (const [what, pk] of badPks) {
  for (const [method, slug, verb] of itemMethods) {
    test(`${method}: a pk that is ${what} → 404 Not found`, async (t) => {
      const res = await send(env().server, verb, `/api/r/${slug}/${pk}/`, uniqueTag());
      assertJson(t, res, 404, { error: 'Not found' });
    });
  }
}

for (const [method, slug, verb] of itemMethods) {
  test(`${method}: a well-formed pk of no document → 404 Not found`, async (t) => {
    const res = await send(env().server, verb, `/api/r/${slug}/${new mongoose.Types.ObjectId().toHexString()}/`, uniqueTag());
    assertJson(t, res, 404, { error: 'Not found' });
  });

  test(`${method}: a document outside the queryset → 404 Not found`, async (t) => {
    const other = await env().Thing.create({ name: 'elsewhere', tag: uniqueTag('other') });
    const res = await send(env().server, verb, `/api/r/${slug}/${String(other._id)}/`, uniqueTag());
    assertJson(t, res, 404, { error: 'Not found' });
    t.is((await env().Thing.findById(other._id).lean())?.name, 'elsewhere');
  });
}

test('Fetch: a pk in upper-case hex is the same document', async (t) => {
  const { server, Thing } = env();
  const tag = uniqueTag();
  const doc = await Thing.create({ name: 'upper', tag });
  const res = await request(server).get(`/api/r/fetch-only/${String(doc._id).toUpperCase()}/`).set('X-Tag', tag);
  assertJson(t, res, 200, { id: String(doc._id), name: 'upper', tag });
});

test('a numeric _id: the pk is cast to a number', async (t) => {
  await env().Numbered.create({ _id: 4242, name: 'numbered' });
  assertJson(t, await request(env().server).get('/api/numbered/4242/'), 200, { id: '4242', name: 'numbered' });
});

test('a numeric _id: a pk that is not a number → 404 Not found', async (t) => {
  assertJson(t, await request(env().server).get('/api/numbered/abc/'), 404, { error: 'Not found' });
});

test('a numeric _id: DELETE with a pk that is not a number → 404 Not found', async (t) => {
  assertJson(t, await request(env().server).delete('/api/numbered/12abc/'), 404, { error: 'Not found' });
});

test('Create-only: POST on an item with a bad pk → 404 "Did you mean to use PUT?"', async (t) => {
  const res = await send(env().server, 'POST', '/api/r/create-only/nope/', uniqueTag());
  assertJson(t, res, 404, { error: 'Did you mean to use PUT?' });
});

test('a disabled method on an item with a bad pk → 405 (the method is checked first)', async (t) => {
  const res = await send(env().server, 'DELETE', '/api/r/fetch-only/nope/', uniqueTag());
  assertJson(t, res, 405, { error: 'Method not allowed' });
  t.is(res.headers.allow, 'GET, HEAD, OPTIONS');
});

// ---- unknown paths -------------------------------------------------------------------------------------

const unknownPaths: readonly [Verb, string][] = [
  ['GET', '/api/nothing'],
  ['GET', '/api/nothing/'],
  ['POST', '/api/nothing/'],
  ['DELETE', '/api/nothing/x/'],
  ['GET', '/api'],
  ['GET', '/api/'],
  ['GET', '/api/r'],
  ['GET', '/api/r/'],
  ['GET', '/api/r/list-only/x/y'],
  ['PUT', '/api/r/every/x/y/'],
  ['OPTIONS', '/api/nothing'],
];

for (const [verb, path] of unknownPaths) {
  test(`unknown path under the prefix: ${verb} ${path} → 404 JSON`, async (t) => {
    const res = await send(env().server, verb, path, uniqueTag());
    assertJson(t, res, 404, { error: 'Not found' });
  });
}

test('HEAD on an unknown path under the prefix → 404 without a body', async (t) => {
  const res = await request(env().server).head('/api/nothing/');
  t.is(res.status, 404);
  t.is(res.text as string | undefined, undefined);
});

test('a path outside the prefix is left to the app (Koa’s own 404)', async (t) => {
  const res = await request(env().server).get('/elsewhere/');
  t.is(res.status, 404);
  t.is(res.text, 'Not Found');
  t.regex(res.headers['content-type'] ?? '', /^text\/plain/);
});

test('a path that only starts like the prefix is left to the app', async (t) => {
  const res = await request(env().server).get('/apiary/');
  t.is(res.status, 404);
  t.is(res.text, 'Not Found');
});
