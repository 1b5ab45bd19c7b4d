/**
 * Cursor pagination (issue 12 §5): `_after` walks a list on its `_order_by` plus `_id` without `skip`,
 * `next` while more follow; cursors are opaque, tamper-evident, bound to the ordering, the filters and
 * the view, and signed with `cursorSecret` (shared by instances that set the same one). Without `_after`
 * nothing changes.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, ops, type RequestContext } from '../lib/index.js';
import { assertJson, spyOnQueries, uniqueTag, useApp, type AppServer } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const SECRET = 'a-shared-cursor-secret-of-some-length';

function build(connection: Connection) {
  const schema = new mongoose.Schema({ tag: String, title: String, views: Number, created: Date });
  const log = spyOnQueries(schema);
  const Entry = connection.model('Entry', schema);
  class EntryResource extends Resource {
    document = Entry;
    override fields = ['id', 'title', 'views'];
    override allowedOrdering = ['title', 'views', 'created'];
    override filters = { views: [ops.Gte] };
    override defaultLimit = 2;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class EntryView extends ResourceView {
    resource = EntryResource;
    methods = [methods.List];
  }
  const apps = [SECRET, SECRET, 'another-secret-entirely-different', undefined].map((cursorSecret) => {
    const api = new TestMongoRest({ prefix: '/api', cursorSecret });
    api.register(EntryView, { url: '/entries/' });
    api.register(EntryView, { url: '/others/', name: 'others' });
    return new Koa().use(api.routes()).use(api.allowedMethods());
  });
  return { app: apps[0]!, twin: apps[1]!.callback(), foreign: apps[2]!.callback(), Entry, log };
}

const env = useApp(test, import.meta.url, build);

interface Row {
  id: string;
  title: string;
  views: number | null;
}

/** Documents with repeated and missing `views` (ties and nulls), created in an order unlike any sort. */
async function seed() {
  const tag = uniqueTag('cur');
  const views = [3, null, 1, 3, 2, null, 3, 1, 5];
  const docs = await env().Entry.create(views.map((value, index) => ({ tag, title: `t${(index * 7) % 9}`, ...(value === null ? {} : { views: value }), created: new Date(2020, 0, index + 1) })));
  return { tag, ids: docs.map((doc) => String(doc._id)) };
}

async function walk(server: AppServer, tag: string, query: string): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let after = '';
  for (let pages = 1; pages < 50; pages++) {
    const res = await request(server).get(`/api/entries/?${query}&_after=${encodeURIComponent(after)}`).set('X-Tag', tag);
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    rows.push(...(res.body.data as Row[]));
    if (res.body.next === undefined) {
      if (res.body.has_more !== false) throw new Error('no next while has_more');
      return { rows, pages };
    }
    if (res.body.has_more !== true) throw new Error('next without has_more');
    after = res.body.next as string;
  }
  throw new Error('too many pages');
}

for (const order of ['views', '-views', 'title', '-created', 'views,-title', '']) {
  test(`_after walks every document once, in the order of _order_by=${order || '(none: _id)'}, like _skip pages`, async (t) => {
    const { tag } = await seed();
    const query = order ? `_order_by=${order}&_limit=2` : '_limit=2';
    const { rows, pages } = await walk(env().server, tag, query);
    const all = await request(env().server).get(`/api/entries/?${order ? `_order_by=${order}&` : ''}_limit=50`).set('X-Tag', tag);
    const expected = (all.body.data as Row[]).map((row) => row.id);
    if (!order) expected.sort();
    t.deepEqual(rows.map((row) => row.id), expected);
    t.is(pages, 5);
  });
}

test('a page with _after uses no skip: the keyset is in the filter, so deep pages cost what the first does', async (t) => {
  const { tag } = await seed();
  const first = await request(env().server).get('/api/entries/?_order_by=-views&_limit=3&_after=').set('X-Tag', tag);
  await request(env().server).get(`/api/entries/?_order_by=-views&_limit=3&_after=${encodeURIComponent(first.body.next as string)}`).set('X-Tag', tag);
  const queries = env().log.filter((entry) => JSON.stringify(entry.filter).includes(tag));
  t.is(queries.length, 2);
  t.deepEqual(queries.map((entry) => entry.skip ?? 0), [0, 0]);
  t.deepEqual(queries.map((entry) => entry.limit), [4, 4]);
  t.true(JSON.stringify(queries[1]!.filter).includes('$or'));
});

test('without _after nothing changes: no next key', async (t) => {
  const { tag } = await seed();
  const res = await request(env().server).get('/api/entries/?_limit=2').set('X-Tag', tag);
  t.deepEqual(Object.keys(res.body as object), ['data', 'has_more']);
});

test('the last page has no next; _count still counts every match', async (t) => {
  const { tag } = await seed();
  const res = await request(env().server).get('/api/entries/?_limit=20&_after=&_count=1').set('X-Tag', tag);
  t.deepEqual(Object.keys(res.body as object), ['data', 'has_more', 'total']);
  t.is(res.body.total, 9);
});

test('a cursor is opaque base64url', async (t) => {
  const { tag } = await seed();
  const res = await request(env().server).get('/api/entries/?_after=').set('X-Tag', tag);
  t.regex(res.body.next as string, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
});

test('a modified, truncated or made-up cursor → 400, never a 500 or another query', async (t) => {
  const { tag } = await seed();
  const next = (await request(env().server).get('/api/entries/?_order_by=views&_after=').set('X-Tag', tag)).body.next as string;
  const [body, signature] = next.split('.') as [string, string];
  // The payload changed but still valid EJSON: only the signature tells.
  const forged = Buffer.from(Buffer.from(body, 'base64url').toString().replace(/}$/, ',"x":1}')).toString('base64url');
  for (const bad of [`${forged}.${signature}`, `${body}.${signature.slice(0, -2)}`, body, 'abc', '.', `${body}x.${signature}`, 'x'.repeat(5000)]) {
    assertJson(t, await request(env().server).get(`/api/entries/?_order_by=views&_after=${encodeURIComponent(bad)}`).set('X-Tag', tag), 400, { error: 'Invalid cursor.' });
  }
});

test('a cursor reused with another ordering, other filters or on another view → 400', async (t) => {
  const { tag } = await seed();
  const next = (await request(env().server).get('/api/entries/?_order_by=views&views__gte=1&_after=').set('X-Tag', tag)).body.next as string;
  const after = encodeURIComponent(next);
  const foreign = { error: 'This cursor was made for another ordering or other filters.' };
  assertJson(t, await request(env().server).get(`/api/entries/?_order_by=-views&views__gte=1&_after=${after}`).set('X-Tag', tag), 400, foreign);
  assertJson(t, await request(env().server).get(`/api/entries/?_order_by=views&views__gte=2&_after=${after}`).set('X-Tag', tag), 400, foreign);
  assertJson(t, await request(env().server).get(`/api/entries/?_order_by=views&_after=${after}`).set('X-Tag', tag), 400, foreign);
  assertJson(t, await request(env().server).get(`/api/others/?_order_by=views&views__gte=1&_after=${after}`).set('X-Tag', tag), 400, foreign);
  // Parameter order and page size do not matter.
  const same = await request(env().server).get(`/api/entries/?views__gte=1&_limit=3&_after=${after}&_order_by=views`).set('X-Tag', tag);
  t.is(same.status, 200);
});

test('cursors signed with the same cursorSecret work on every instance; another secret → 400', async (t) => {
  const { tag } = await seed();
  const next = (await request(env().server).get('/api/entries/?_order_by=views&_after=').set('X-Tag', tag)).body.next as string;
  const url = `/api/entries/?_order_by=views&_after=${encodeURIComponent(next)}`;
  const here = await request(env().server).get(url).set('X-Tag', tag);
  const twin = await request(env().twin).get(url).set('X-Tag', tag);
  t.is(twin.status, 200);
  t.deepEqual(twin.body, here.body);
  assertJson(t, await request(env().foreign).get(url).set('X-Tag', tag), 400, { error: 'Invalid cursor.' });
});

test('_skip with _after → 400', async (t) => {
  assertJson(t, await request(env().server).get('/api/entries/?_skip=2&_after='), 400, { error: '_skip cannot be used with _after.' });
});

test('a cursorSecret shorter than 16 characters throws', (t) => {
  t.throws(() => new TestMongoRest({ cursorSecret: 'short' }), { instanceOf: TypeError, message: 'cursorSecret must be a string of at least 16 characters.' });
});
