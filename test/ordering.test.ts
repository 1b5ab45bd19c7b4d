/**
 * `_order_by` (SPEC §5): ascending, descending (`-`), several fields, renamed names, refusal (400 naming the
 * field) of anything outside `allowedOrdering`, and a stable tie-breaker for pagination.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type RequestContext } from '../lib/index.js';
import { assertJson, mentions, spyOnQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const schema = new mongoose.Schema({
    title: String,
    rank: Number,
    is_published: Boolean,
    created: Date,
    description: String,
    tag: String,
  });
  const queries = spyOnQueries(schema);
  const Book = connection.model('Book', schema);

  class BookResource extends Resource {
    document = Book;
    override fields = ['id', 'title', 'rank', 'is_published'];
    override renameFields = { is_published: 'published', created: 'released' };
    override allowedOrdering = ['title', 'rank', 'published', 'released', 'id'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class BookView extends ResourceView {
    resource = BookResource;
    methods = [methods.List];
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(BookView, { url: '/books/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Book, queries };
}

const env = useApp(test, import.meta.url, build);

interface Row {
  title: string;
  rank: number;
  is_published: boolean;
  created?: Date;
}

/** Inserts rows (in this order) under a fresh tag; returns the tag and a `title → serialized` lookup. */
async function seed(rows: Row[]) {
  const tag = uniqueTag('order');
  const docs = await env().Book.insertMany(rows.map((row) => ({ ...row, tag })));
  const byTitle = new Map(docs.map((doc) => [doc.title!, { id: String(doc._id), title: doc.title, rank: doc.rank, published: doc.is_published }]));
  const pick = (...titles: string[]) => titles.map((title) => byTitle.get(title));
  return { tag, pick, ids: docs.map((doc) => String(doc._id)) };
}

const shelf: Row[] = [
  { title: 'b', rank: 2, is_published: true, created: new Date('2024-03-01') },
  { title: 'd', rank: 1, is_published: false, created: new Date('2024-01-01') },
  { title: 'a', rank: 3, is_published: false, created: new Date('2024-02-01') },
  { title: 'c', rank: 1, is_published: true, created: new Date('2024-04-01') },
];

const list = (query: string, tag: string) => request(env().server).get(`/api/books/?${query}`).set('X-Tag', tag);

test('_order_by=field sorts ascending', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=title', tag), 200, { data: pick('a', 'b', 'c', 'd'), has_more: false });
});

test('_order_by=-field sorts descending', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=-title', tag), 200, { data: pick('d', 'c', 'b', 'a'), has_more: false });
});

test('_order_by with several fields sorts by each in turn', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=rank,-title', tag), 200, { data: pick('d', 'c', 'b', 'a'), has_more: false });
});

test('_order_by with several fields, mixed directions, other order', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=-published,rank,title', tag), 200, { data: pick('c', 'b', 'd', 'a'), has_more: false });
});

test('_order_by uses the renamed (API) name', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=released', tag), 200, { data: pick('d', 'a', 'b', 'c'), has_more: false });
});

test('_order_by a renamed name, descending', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=-released', tag), 200, { data: pick('c', 'b', 'a', 'd'), has_more: false });
});

test('_order_by=id sorts by _id', async (t) => {
  const { tag, ids } = await seed(shelf);
  const res = await list('_order_by=-id&_fields=id', tag);
  assertJson(t, res, 200, { data: [...ids].sort().reverse().map((id) => ({ id })), has_more: false });
});

test('ordering applies before pagination', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=-rank&_limit=2', tag), 200, { data: pick('a', 'b'), has_more: true });
});

test('equal values are ordered by _id, so pages never repeat or skip a document', async (t) => {
  const tag = uniqueTag('order');
  const docs = await env().Book.insertMany(Array.from({ length: 6 }, (_, i) => ({ title: `same-${i}`, rank: 7, is_published: true, tag })));
  const seen: string[] = [];
  for (let skip = 0; skip < 6; skip += 2) {
    const res = await list(`_order_by=rank&_fields=id&_limit=2&_skip=${skip}`, tag);
    t.is(res.status, 200);
    seen.push(...(res.body.data as { id: string }[]).map((row) => row.id));
  }
  t.deepEqual(seen, docs.map((doc) => String(doc._id)).sort());
});

test('the sort sent to the database is the translated one plus the _id tie-breaker', async (t) => {
  const { tag } = await seed(shelf);
  await list('_order_by=-published,released', tag);
  const finds = env().queries.filter((query) => query.op === 'find' && mentions(query.filter, tag));
  t.deepEqual(finds.map((query) => query.sort), [{ is_published: -1, created: 1, _id: 1 }]);
});

test('an empty _order_by does not order', async (t) => {
  const { tag } = await seed(shelf.slice(0, 1));
  const res = await list('_order_by=', tag);
  t.is(res.status, 200);
  t.is(res.body.data.length, 1);
});

test('only the first of repeated _order_by counts', async (t) => {
  const { tag, pick } = await seed(shelf);
  assertJson(t, await list('_order_by=title&_order_by=nope', tag), 200, { data: pick('a', 'b', 'c', 'd'), has_more: false });
});

// ---- refused -------------------------------------------------------------------------------------------

const refused: readonly [string, string, string][] = [
  ['a schema field that is not allowed', 'description', 'description'],
  ['a field that is not allowed, descending', '-description', 'description'],
  ['an unknown field', 'nope', 'nope'],
  ['the internal name of a renamed field', 'is_published', 'is_published'],
  ['the internal name of a renamed field, descending', '-created', 'created'],
  ['an allowed field followed by one that is not', 'title,description', 'description'],
  ['a doubled minus', '--rank', '-rank'],
  ['a bare minus', '-', ''],
  ['_id spelt as in the database', '_id', '_id'],
  ['a MongoDB operator', '$natural', '$natural'],
  ['__proto__', '__proto__', '__proto__'],
];

for (const [what, value, named] of refused) {
  test(`_order_by naming ${what} → 400 naming it`, async (t) => {
    const tag = uniqueTag('order');
    assertJson(t, await list(`_order_by=${encodeURIComponent(value)}`, tag), 400, { error: `Ordering by ${JSON.stringify(named)} is not allowed.` });
  });
}

test('a refused _order_by never reaches the database', async (t) => {
  const tag = uniqueTag('order');
  await list('_order_by=description', tag);
  t.deepEqual(env().queries.filter((query) => mentions(query.filter, tag)), []);
});
