/**
 * Output fields (SPEC §2, §5, §7): defaults, `_fields` (with `_all`, optional fields, renamed names, unknown
 * names), computed fields (sync and async), the same rules on write responses, and the projection pushed
 * into the database query (seen through a query spy).
 */
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type PlainDocument, type RequestContext } from '../lib/index.js';
import { assertJson, mentions, spyOnQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const allMethods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];

function build(connection: Connection) {
  const schema = new mongoose.Schema({
    title: { type: String, required: true },
    summary: String,
    body: String,
    is_published: { type: Boolean, default: false },
    secret: String,
    scores: [Number],
    flags: [Boolean],
    tag: String,
  });
  const queries = spyOnQueries(schema);
  const Article = connection.model('Article', schema);

  class ArticleResource extends Resource {
    document = Article;
    override fields = ['id', 'title', 'summary', 'is_published', 'tag', 'headline', 'word_count'];
    override optionalFields = ['body', 'secret', 'inspect', 'nothing', 'scores', 'flags'];
    override renameFields = { is_published: 'published', summary: 'abstract' };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
    /** Computed, synchronous. */
    headline(doc: PlainDocument) {
      return String(doc.title).toUpperCase();
    }
    /** Computed, asynchronous, reading a field (`body`) that is not output by default. */
    async word_count(doc: PlainDocument) {
      await delay(1);
      return typeof doc.body === 'string' ? doc.body.split(' ').length : 0;
    }
    /** Computed: what the method is called with. */
    inspect(doc: PlainDocument, ctx: RequestContext) {
      return {
        plain: Object.getPrototypeOf(doc) === Object.prototype && !(doc instanceof mongoose.Document),
        path: ctx.path,
        self: this instanceof ArticleResource,
      };
    }
    /** Computed, answering nothing. */
    nothing() {
      return undefined;
    }
  }

  /** No `fields` declared: `id` and every schema path; `secret` optional. */
  class PlainResource extends Resource {
    document = Article;
    override optionalFields = ['secret'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }

  /** `_id` and `__v` are output when declared. */
  class RawIdResource extends PlainResource {
    override fields = ['_id', '__v', 'title'];
  }

  /** An app-level getFields: `secret` only for callers that say so. */
  class GatedResource extends PlainResource {
    override optionalFields = [];
    override getFields(ctx: RequestContext) {
      const fields = ['id', 'title', 'secret'];
      return ctx.get('X-Reveal') === 'yes' ? fields : fields.filter((field) => field !== 'secret');
    }
  }

  const api = new TestMongoRest({ prefix: '/api' });
  for (const [url, resource] of Object.entries({ articles: ArticleResource, plain: PlainResource, rawid: RawIdResource, gated: GatedResource })) {
    class View extends ResourceView {
      resource = resource;
      methods = allMethods;
    }
    api.register(View, { url: `/${url}/`, name: url });
  }
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Article, queries };
}

const env = useApp(test, import.meta.url, build);

const sample = { title: 'Hello world', summary: 'short', body: 'one two three', is_published: true, secret: 's3cr3t' };

async function seedArticle(overrides: Record<string, unknown> = {}) {
  const tag = uniqueTag('fields');
  const doc = await env().Article.create({ ...sample, ...overrides, tag });
  return { tag, id: String(doc._id) };
}

const get = (path: string, tag: string) => request(env().server).get(path).set('X-Tag', tag);
const findsOf = (tag: string) => env().queries.filter((query) => mentions(query.filter, tag) && query.op !== 'countDocuments');

const defaultBody = (id: string, tag: string) => ({
  id,
  title: 'Hello world',
  abstract: 'short',
  published: true,
  tag,
  headline: 'HELLO WORLD',
  word_count: 3,
});

// ---- defaults ------------------------------------------------------------------------------------------

test('by default every declared field is output under its API name, computed ones included', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/`, tag), 200, defaultBody(id, tag));
});

test('without declared fields the output is id and every schema path except _id and __v, optional ones left out', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/plain/${id}/`, tag), 200, {
    id,
    title: 'Hello world',
    summary: 'short',
    body: 'one two three',
    is_published: true,
    scores: [],
    flags: [],
    tag,
  });
});

test('a field missing from the stored document is output as null', async (t) => {
  const { tag, id } = await seedArticle({ summary: undefined });
  assertJson(t, await get(`/api/articles/${id}/?_fields=abstract`, tag), 200, { abstract: null });
});

test('_id and __v are output when declared in fields', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/rawid/${id}/`, tag), 200, { _id: id, __v: 0, title: 'Hello world' });
});

// ---- _fields -------------------------------------------------------------------------------------------

test('_fields limits the output to the fields named', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=title,tag`, tag), 200, { title: 'Hello world', tag });
});

test('_fields limits every object of a list', async (t) => {
  const { tag } = await seedArticle();
  assertJson(t, await get('/api/articles/?_fields=title', tag), 200, { data: [{ title: 'Hello world' }], has_more: false });
});

test('_fields ignores unknown names', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=title,nope,__proto__,constructor`, tag), 200, { title: 'Hello world' });
});

test('_fields naming only unknown fields outputs empty objects', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=nope`, tag), 200, {});
});

test('_fields tolerates spaces and empty parts', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=%20title%20,,tag,`, tag), 200, { title: 'Hello world', tag });
});

test('an empty _fields outputs the default fields', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=`, tag), 200, defaultBody(id, tag));
});

test('only the first of repeated _fields counts', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=title&_fields=tag`, tag), 200, { title: 'Hello world' });
});

test('_fields=id outputs only the id', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=id`, tag), 200, { id });
});

test('_fields may name an optional field', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=title,secret`, tag), 200, { title: 'Hello world', secret: 's3cr3t' });
});

test('_fields=_all adds the optional fields to the defaults', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=_all`, tag), 200, {
    ...defaultBody(id, tag),
    body: 'one two three',
    secret: 's3cr3t',
    inspect: { plain: true, path: `/api/articles/${id}/`, self: true },
    nothing: null,
    scores: [],
    flags: [],
  });
});

test('falsy array elements are output as they are', async (t) => {
  const { tag, id } = await seedArticle({ scores: [0, 1, 0], flags: [false, true, false] });
  assertJson(t, await get(`/api/articles/${id}/?_fields=scores,flags`, tag), 200, { scores: [0, 1, 0], flags: [false, true, false] });
});

test('_fields=_all together with other names still outputs everything', async (t) => {
  const { tag, id } = await seedArticle();
  const res = await get(`/api/plain/${id}/?_fields=title,_all`, tag);
  assertJson(t, res, 200, { id, title: 'Hello world', summary: 'short', body: 'one two three', is_published: true, scores: [], flags: [], tag, secret: 's3cr3t' });
});

test('_fields uses the renamed (API) names', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=published,abstract`, tag), 200, { published: true, abstract: 'short' });
});

test('_fields does not accept the internal name of a renamed field', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=is_published,summary,title`, tag), 200, { title: 'Hello world' });
});

// ---- computed fields -----------------------------------------------------------------------------------

test('a synchronous computed field is output', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=headline`, tag), 200, { headline: 'HELLO WORLD' });
});

test('an async computed field is awaited and may read fields that are not output', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=word_count`, tag), 200, { word_count: 3 });
});

test('a computed field is called on the resource with a plain object and the context', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=inspect`, tag), 200, {
    inspect: { plain: true, path: `/api/articles/${id}/`, self: true },
  });
});

test('a computed field answering undefined is output as null', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/articles/${id}/?_fields=nothing`, tag), 200, { nothing: null });
});

test('computed fields are computed for every object of a list', async (t) => {
  const tag = uniqueTag('fields');
  await env().Article.create([
    { title: 'a', body: 'x', tag },
    { title: 'b', body: 'x y', tag },
  ]);
  const res = await get('/api/articles/?_fields=headline,word_count', tag);
  t.is(res.status, 200);
  t.deepEqual(
    [...(res.body.data as { headline: string }[])].sort((x, y) => x.headline.localeCompare(y.headline)),
    [
      { headline: 'A', word_count: 1 },
      { headline: 'B', word_count: 2 },
    ],
  );
});

// ---- write responses -----------------------------------------------------------------------------------

test('a create response follows _fields', async (t) => {
  const tag = uniqueTag('fields');
  const res = await request(env().server).post('/api/articles/?_fields=title,headline').set('X-Tag', tag).send({ ...sample, tag });
  assertJson(t, res, 201, { title: 'Hello world', headline: 'HELLO WORLD' });
  t.regex(res.headers.location ?? '', /^\/api\/articles\/[0-9a-f]{24}\/$/);
});

test('a create response outputs the default fields, computed ones included', async (t) => {
  const tag = uniqueTag('fields');
  const res = await request(env().server).post('/api/articles/').set('X-Tag', tag).send({ ...sample, published: true, abstract: 'short', tag });
  assertJson(t, res, 201, defaultBody(res.body.id, tag));
});

test('a create response with _fields=_all calls computed fields with a plain object', async (t) => {
  const tag = uniqueTag('fields');
  const res = await request(env().server).post('/api/articles/?_fields=inspect,secret').set('X-Tag', tag).send({ ...sample, tag });
  assertJson(t, res, 201, { secret: 's3cr3t', inspect: { plain: true, path: '/api/articles/', self: true } });
});

test('an update response follows _fields', async (t) => {
  const { tag, id } = await seedArticle();
  const res = await request(env().server).put(`/api/articles/${id}/?_fields=abstract,word_count`).set('X-Tag', tag).send({ abstract: 'new', body: 'a b c d' });
  assertJson(t, res, 200, { abstract: 'new', word_count: 4 });
});

test('an update response with _fields equals a following GET with the same _fields', async (t) => {
  const { tag, id } = await seedArticle();
  const path = `/api/articles/${id}/?_fields=_all`;
  const updated = await request(env().server).put(path).set('X-Tag', tag).send({ title: 'Changed' });
  t.is(updated.status, 200);
  assertJson(t, await get(path, tag), 200, updated.body);
});

// ---- projection pushed into the query ------------------------------------------------------------------

test('a list with _fields loads only those fields (projection in the find query)', async (t) => {
  const { tag } = await seedArticle();
  await get('/api/articles/?_fields=title,abstract', tag);
  t.deepEqual(
    findsOf(tag).map((query) => query.projection),
    [{ _id: 1, title: 1, summary: 1 }],
  );
});

test('a fetch with _fields loads only those fields (projection in the findOne query), plus the version for the ETag', async (t) => {
  const { tag, id } = await seedArticle();
  await get(`/api/articles/${id}/?_fields=published`, tag);
  t.deepEqual(
    findsOf(tag).map((query) => [query.op, query.projection]),
    [['findOne', { _id: 1, is_published: 1, __v: 1 }]],
  );
});

test('without _fields the projection is the default fields, optional ones left out', async (t) => {
  const { tag } = await seedArticle();
  await get('/api/plain/', tag);
  t.deepEqual(
    findsOf(tag).map((query) => query.projection),
    [{ _id: 1, title: 1, summary: 1, body: 1, is_published: 1, scores: 1, flags: 1, tag: 1 }],
  );
});

test('_fields=id loads only _id', async (t) => {
  const { tag } = await seedArticle();
  await get('/api/plain/?_fields=id', tag);
  t.deepEqual(
    findsOf(tag).map((query) => query.projection),
    [{ _id: 1 }],
  );
});

test('when a computed field is output the whole document is loaded (no projection)', async (t) => {
  const { tag } = await seedArticle();
  await get('/api/articles/?_fields=title,word_count', tag);
  t.deepEqual(
    findsOf(tag).map((query) => query.projection),
    [undefined],
  );
});

// ---- getFields override --------------------------------------------------------------------------------

test('an overridden getFields decides the output', async (t) => {
  const { tag, id } = await seedArticle();
  assertJson(t, await get(`/api/gated/${id}/`, tag), 200, { id, title: 'Hello world' });
});

test('an overridden getFields may depend on the request', async (t) => {
  const { tag, id } = await seedArticle();
  const res = await request(env().server).get(`/api/gated/${id}/`).set('X-Tag', tag).set('X-Reveal', 'yes');
  assertJson(t, res, 200, { id, title: 'Hello world', secret: 's3cr3t' });
});

test('an overridden getFields decides the projection too', async (t) => {
  const { tag } = await seedArticle();
  await get('/api/gated/', tag);
  t.deepEqual(
    findsOf(tag).map((query) => query.projection),
    [{ _id: 1, title: 1 }],
  );
});
