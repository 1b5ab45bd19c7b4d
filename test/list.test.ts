/**
 * List (SPEC §5, §7): the envelope, pagination with `_skip`/`_limit` and their messages, `maxLimit`,
 * `_limit=0`, `_count`, `has_more`, non-paginated resources and extra keys from an overridden getObjects.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type AnyQuery, type ObjectsPage, type PlainDocument, type RequestContext } from '../lib/index.js';
import { assertJson, mentions, spyOnQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const schema = new mongoose.Schema({ title: String, rank: Number, tag: String });
  const queries = spyOnQueries(schema);
  const Entry = connection.model('Entry', schema);

  /** Scoped to the test's own documents by the `X-Tag` header. */
  class EntryResource extends Resource {
    document = Entry;
    allowedOrdering = ['rank'];
    defaultLimit = 3;
    maxLimit = 5;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class DefaultsResource extends EntryResource {
    override defaultLimit = 100;
    override maxLimit = 100;
  }
  class UnpagedResource extends EntryResource {
    override paginate = false;
  }
  class CappedResource extends EntryResource {
    override defaultLimit = 10;
    override maxLimit = 4;
  }
  class ExtraResource extends EntryResource {
    override async getObjects(ctx: RequestContext, query: AnyQuery): Promise<ObjectsPage> {
      const page = await super.getObjects(ctx, query);
      return { ...page, extra: { next: 'cursor-1', page_size: page.objects.length } };
    }
  }
  class AwaitingResource extends EntryResource {
    /** An override that simply awaits the query it is given, as an app would. */
    override async getObjects(_ctx: RequestContext, query: AnyQuery): Promise<ObjectsPage> {
      const objects = (await query.lean()) as PlainDocument[];
      return { objects, hasMore: false };
    }
  }

  const api = new TestMongoRest({ prefix: '/api' });
  const resources = { entries: EntryResource, defaults: DefaultsResource, unpaged: UnpagedResource, capped: CappedResource, extra: ExtraResource, awaiting: AwaitingResource };
  for (const [url, resource] of Object.entries(resources)) {
    class ListView extends ResourceView {
      resource = resource;
      methods = [methods.List];
    }
    api.register(ListView, { url: `/${url}/`, name: url });
  }
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Entry, queries };
}

const env = useApp(test, import.meta.url, build);

/** `n` documents ranked 0…n-1 under a fresh tag; returns the tag and their serialized form by rank. */
async function seed(n: number, label = 'list') {
  const tag = uniqueTag(label);
  const docs = await env().Entry.insertMany(Array.from({ length: n }, (_, rank) => ({ title: `${tag}-${rank}`, rank, tag })));
  const expected = docs.map((doc) => ({ id: String(doc._id), title: doc.title, rank: doc.rank, tag }));
  return { tag, expected };
}

const get = (path: string, tag: string) => request(env().server).get(path).set('X-Tag', tag);
const queriesOf = (tag: string) => env().queries.filter((query) => mentions(query.filter, tag));

// ---- envelope and default page -------------------------------------------------------------------------

test('an empty collection lists as {"data": [], "has_more": false}', async (t) => {
  assertJson(t, await get('/api/entries/', uniqueTag()), 200, { data: [], has_more: false });
});

test('without _limit a page holds defaultLimit documents and has_more tells that more follow', async (t) => {
  const { tag, expected } = await seed(4);
  assertJson(t, await get('/api/entries/?_order_by=rank', tag), 200, { data: expected.slice(0, 3), has_more: true });
});

test('has_more is false when the page holds exactly the last documents', async (t) => {
  const { tag, expected } = await seed(3);
  assertJson(t, await get('/api/entries/?_order_by=rank', tag), 200, { data: expected, has_more: false });
});

test('the default limit of a resource is 100', async (t) => {
  const { tag, expected } = await seed(101, 'hundred');
  assertJson(t, await get('/api/defaults/?_order_by=rank', tag), 200, { data: expected.slice(0, 100), has_more: true });
});

test('the default maxLimit of a resource is 100', async (t) => {
  assertJson(t, await get('/api/defaults/?_limit=101', uniqueTag()), 400, {
    error: 'The limit you set is larger than the maximum limit for this resource (max_limit = 100).',
  });
});

test('a defaultLimit above maxLimit is capped at maxLimit', async (t) => {
  const { tag, expected } = await seed(6);
  assertJson(t, await get('/api/capped/?_order_by=rank', tag), 200, { data: expected.slice(0, 4), has_more: true });
});

// ---- _limit and _skip ----------------------------------------------------------------------------------

test('_limit sets the page size', async (t) => {
  const { tag, expected } = await seed(4);
  assertJson(t, await get('/api/entries/?_order_by=rank&_limit=2', tag), 200, { data: expected.slice(0, 2), has_more: true });
});

test('_limit equal to maxLimit is accepted', async (t) => {
  const { tag, expected } = await seed(6);
  assertJson(t, await get('/api/entries/?_order_by=rank&_limit=5', tag), 200, { data: expected.slice(0, 5), has_more: true });
});

test('_limit above maxLimit → 400 naming the maximum', async (t) => {
  assertJson(t, await get('/api/entries/?_limit=6', uniqueTag()), 400, {
    error: 'The limit you set is larger than the maximum limit for this resource (max_limit = 5).',
  });
});

test('_skip skips documents and has_more looks past the page', async (t) => {
  const { tag, expected } = await seed(5);
  assertJson(t, await get('/api/entries/?_order_by=rank&_skip=2&_limit=2', tag), 200, { data: expected.slice(2, 4), has_more: true });
});

test('the last page has has_more false', async (t) => {
  const { tag, expected } = await seed(5);
  assertJson(t, await get('/api/entries/?_order_by=rank&_skip=3&_limit=2', tag), 200, { data: expected.slice(3), has_more: false });
});

test('_skip past the end gives an empty page', async (t) => {
  const { tag } = await seed(2);
  assertJson(t, await get('/api/entries/?_skip=10', tag), 200, { data: [], has_more: false });
});

test('_skip=0 and _limit with leading zeros are plain integers', async (t) => {
  const { tag, expected } = await seed(3);
  assertJson(t, await get('/api/entries/?_order_by=rank&_skip=0&_limit=002', tag), 200, { data: expected.slice(0, 2), has_more: true });
});

test('only the first of repeated _limit values counts', async (t) => {
  const { tag, expected } = await seed(3);
  assertJson(t, await get('/api/entries/?_order_by=rank&_limit=1&_limit=abc', tag), 200, { data: expected.slice(0, 1), has_more: true });
});

test('only the first of repeated _skip values counts', async (t) => {
  const { tag, expected } = await seed(3);
  assertJson(t, await get('/api/entries/?_order_by=rank&_skip=2&_skip=-5', tag), 200, { data: expected.slice(2), has_more: false });
});

test('_limit that is not an integer → 400 with the message of SPEC', async (t) => {
  assertJson(t, await get('/api/entries/?_limit=x', uniqueTag()), 400, { error: '_limit must be an integer (got "x" instead).' });
});

test('_skip that is not an integer → 400 with the message of SPEC', async (t) => {
  assertJson(t, await get('/api/entries/?_skip=x', uniqueTag()), 400, { error: '_skip must be an integer (got "x" instead).' });
});

test('a negative _skip → 400 with the message of SPEC', async (t) => {
  assertJson(t, await get('/api/entries/?_skip=-1', uniqueTag()), 400, { error: '_skip must be a non-negative integer (got "-1" instead).' });
});

test('a negative _limit → 400', async (t) => {
  assertJson(t, await get('/api/entries/?_limit=-1', uniqueTag()), 400, { error: '_limit must be a non-negative integer (got "-1" instead).' });
});

test('a bad _limit is refused before the database is queried', async (t) => {
  const tag = uniqueTag();
  await get('/api/entries/?_limit=x', tag);
  t.deepEqual(queriesOf(tag), []);
});

// ---- _limit=0 ------------------------------------------------------------------------------------------

test('_limit=0 returns no documents and has_more true when some match', async (t) => {
  const { tag } = await seed(2);
  assertJson(t, await get('/api/entries/?_limit=0', tag), 200, { data: [], has_more: true });
});

test('_limit=0 on an empty result has has_more false', async (t) => {
  assertJson(t, await get('/api/entries/?_limit=0', uniqueTag()), 200, { data: [], has_more: false });
});

test('_limit=0 with _skip at the end has has_more false', async (t) => {
  const { tag } = await seed(3);
  assertJson(t, await get('/api/entries/?_limit=0&_skip=3', tag), 200, { data: [], has_more: false });
});

test('_limit=0 never reaches the database as limit(0)', async (t) => {
  const { tag } = await seed(2);
  await get('/api/entries/?_limit=0', tag);
  const finds = queriesOf(tag).filter((query) => query.op === 'find');
  t.true(finds.length > 0);
  for (const query of finds) t.true(query.limit !== undefined && query.limit > 0, JSON.stringify(query));
});

test('_limit=0 with _count still counts every match', async (t) => {
  const { tag } = await seed(3);
  assertJson(t, await get('/api/entries/?_limit=0&_count=1', tag), 200, { data: [], has_more: true, total: 3 });
});

// ---- _count --------------------------------------------------------------------------------------------

test('_count=1 adds the total number of matches, ignoring skip and limit', async (t) => {
  const { tag, expected } = await seed(5);
  assertJson(t, await get('/api/entries/?_order_by=rank&_count=1&_skip=1&_limit=2', tag), 200, {
    data: expected.slice(1, 3),
    has_more: true,
    total: 5,
  });
});

test('_count=true adds the total', async (t) => {
  const { tag, expected } = await seed(1);
  assertJson(t, await get('/api/entries/?_count=true', tag), 200, { data: expected, has_more: false, total: 1 });
});

test('_count on an empty result is 0', async (t) => {
  assertJson(t, await get('/api/entries/?_count=1', uniqueTag()), 200, { data: [], has_more: false, total: 0 });
});

for (const value of ['0', 'false', '', 'yes']) {
  test(`_count=${value} adds no total`, async (t) => {
    const { tag, expected } = await seed(1);
    assertJson(t, await get(`/api/entries/?_count=${value}`, tag), 200, { data: expected, has_more: false });
  });
}

test('the count runs on the same (scoped) filter as the page', async (t) => {
  const { tag } = await seed(2);
  await get('/api/entries/?_count=1', tag);
  const counts = queriesOf(tag).filter((query) => query.op === 'countDocuments');
  t.is(counts.length, 1);
});

// ---- not paginated -------------------------------------------------------------------------------------

test('a resource with paginate = false lists everything without has_more', async (t) => {
  const { tag, expected } = await seed(7);
  assertJson(t, await get('/api/unpaged/?_order_by=rank', tag), 200, { data: expected });
});

test('a resource with paginate = false ignores _limit and _skip, even invalid ones', async (t) => {
  const { tag, expected } = await seed(4);
  assertJson(t, await get('/api/unpaged/?_order_by=rank&_limit=abc&_skip=-1', tag), 200, { data: expected });
});

test('a resource with paginate = false still answers _count', async (t) => {
  const { tag, expected } = await seed(2);
  assertJson(t, await get('/api/unpaged/?_order_by=rank&_count=1', tag), 200, { data: expected, total: 2 });
});

test('a resource with paginate = false sends no limit to the database', async (t) => {
  const { tag } = await seed(1);
  await get('/api/unpaged/', tag);
  const finds = queriesOf(tag).filter((query) => query.op === 'find');
  t.deepEqual(finds.map((query) => query.limit), [undefined]);
});

// ---- overridden getObjects -----------------------------------------------------------------------------

test('extra keys returned by an overridden getObjects are merged into the envelope', async (t) => {
  const { tag, expected } = await seed(4);
  assertJson(t, await get('/api/extra/?_order_by=rank&_limit=2&_count=1', tag), 200, {
    data: expected.slice(0, 2),
    has_more: true,
    total: 4,
    next: 'cursor-1',
    page_size: 2,
  });
});

test('an overridden getObjects may simply await the query it is given', async (t) => {
  const { tag, expected } = await seed(2);
  assertJson(t, await get('/api/awaiting/?_order_by=rank', tag), 200, { data: expected, has_more: false });
});
