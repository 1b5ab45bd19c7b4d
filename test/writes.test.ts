/**
 * Writes (SPEC §5, §7, §8): create (201 + Location), update (only the keys sent; equals a following GET),
 * bulk update (limit, validate-all-then-write, {"count"}), delete (204), unicode round-trips, ignored keys,
 * Mongoose validation → field-errors keyed by API path, duplicate key → 409, unknown exception → 500.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import {
  Resource,
  ResourceView,
  ValidationError,
  methods,
  ops,
  type AnyDocument,
  type PlainDocument,
  type RequestContext,
} from '../lib/index.js';
import { assertJson, defineBlogModels, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const allMethods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];

async function build(connection: Connection) {
  const models = defineBlogModels(connection);
  const { User, Post } = models;
  await Promise.all([User.init(), Post.init()]);
  const unexpected: unknown[] = [];
  const hookCalls: Record<string, unknown>[] = [];

  /** Posts, scoped to a test by the `X-Tag` header (matched against `tags`). */
  class PostResource extends Resource {
    document = Post;
    override fields = ['id', 'title', 'description', 'author', 'tags', 'content', 'is_published', 'views', 'created', 'title_length'];
    override renameFields = { author: 'author_id', is_published: 'published' };
    override filters = { views: [ops.Exact] };
    override bulkUpdateLimit = 3;
    override getQueryset(ctx: RequestContext) {
      const tag = ctx.get('X-Tag');
      return tag ? this.document.find({ tags: tag }) : this.document.find();
    }
    title_length(doc: PlainDocument) {
      return typeof doc.title === 'string' ? doc.title.length : null;
    }
    override validateRequest(_ctx: RequestContext, data: PlainDocument) {
      if (data.title === 'forbidden') throw new ValidationError({ 'field-errors': { title: 'not this one' }, hint: 42 });
    }
  }
  class UserResource extends Resource {
    document = User;
    override optionalFields = ['balance'];
  }
  /** The same users, with the unique field renamed. */
  class PersonResource extends Resource {
    document = User;
    override fields = ['id', 'email'];
    override renameFields = { email: 'mail' };
  }
  /** Users scoped to a test by the `X-Tag` header (matched against `last_name`), for bulk updates. */
  class TaggedUserResource extends Resource {
    document = User;
    override fields = ['id', 'email', 'first_name'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ last_name: ctx.get('X-Tag') });
    }
  }
  /** Records what the write hooks receive. */
  class SpyResource extends PostResource {
    override async createObject(ctx: RequestContext, data: PlainDocument): Promise<AnyDocument> {
      hookCalls.push({ hook: 'createObject', data: { ...data } });
      return super.createObject(ctx, data);
    }
    override async updateObject(ctx: RequestContext, doc: AnyDocument, data: PlainDocument): Promise<AnyDocument> {
      hookCalls.push({ hook: 'updateObject', data: { ...data }, isDocument: doc instanceof mongoose.Document, stored: doc.get('title') as unknown });
      return super.updateObject(ctx, doc, data);
    }
  }
  /** Failures the app did not foresee. */
  class BoomResource extends PostResource {
    override async createObject(): Promise<AnyDocument> {
      throw new Error('secret detail: /etc/passwd at BoomResource.createObject');
    }
    override title_length(doc: PlainDocument): number {
      if (doc.title === 'explode') throw new TypeError('cannot read secret of undefined');
      return 0;
    }
  }

  const api = new TestMongoRest({ prefix: '/api', onError: (error) => unexpected.push(error) });
  const views = { '/posts/': PostResource, '/posts-noslash': PostResource, '/user/': UserResource, '/people/': PersonResource, '/tagged-users/': TaggedUserResource, '/spy/': SpyResource, '/boom/': BoomResource };
  for (const [url, resource] of Object.entries(views)) {
    class View extends ResourceView {
      resource = resource;
      methods = allMethods;
    }
    api.register(View, { url, name: url });
  }
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, User, Post, unexpected, hookCalls };
}

const env = useApp(test, import.meta.url, build);

const agent = () => request(env().server);

/** The serialized form of a post, with the defaults of the schema. */
function postOut(id: string, created: string, fields: Record<string, unknown>) {
  return {
    id,
    title: 'Untitled',
    description: null,
    author_id: null,
    tags: [],
    content: null,
    published: false,
    views: 0,
    created,
    title_length: typeof fields.title === 'string' ? fields.title.length : 8,
    ...fields,
  };
}

async function seedPost(fields: Record<string, unknown> = {}) {
  const tag = uniqueTag('post');
  const doc = await env().Post.create({ title: 'Seeded', description: 'kept', views: 3, ...fields, tags: [tag, ...((fields.tags as string[]) ?? [])] });
  const stored = (await env().Post.findById(doc._id).lean())!;
  const out = postOut(String(doc._id), stored.created!.toISOString(), {
    title: stored.title,
    description: stored.description ?? null,
    tags: stored.tags,
    views: stored.views,
    content: stored.content ?? null,
    published: stored.is_published,
  });
  return { tag, id: String(doc._id), out };
}

const uniqueEmail = () => `${uniqueTag('u')}@example.com`;

// ---- create --------------------------------------------------------------------------------------------

test('POST → 201 with the serialized object, defaults applied', async (t) => {
  const tag = uniqueTag('post');
  const res = await agent().post('/api/posts/').send({ title: 'Hello', tags: [tag], content: { text: 'hi' } });
  assertJson(t, res, 201, postOut(res.body.id, res.body.created, { title: 'Hello', tags: [tag], content: { text: 'hi', lang: 'en' } }));
  t.regex(res.body.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('POST → Location of the new item', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Located', tags: [uniqueTag()] });
  t.is(res.status, 201);
  t.is(res.headers.location, `/api/posts/${res.body.id}/`);
});

test('POST on a view registered without a trailing slash → Location without one', async (t) => {
  const res = await agent().post('/api/posts-noslash').send({ title: 'Located', tags: [uniqueTag()] });
  t.is(res.status, 201);
  t.is(res.headers.location, `/api/posts-noslash/${res.body.id}`);
});

test('POST stores the document', async (t) => {
  const tag = uniqueTag('post');
  const res = await agent().post('/api/posts/').send({ title: 'Stored', tags: [tag], views: 5 });
  const stored = await env().Post.collection.findOne({ tags: tag });
  t.is(String(stored?._id), res.body.id);
  t.like(stored, { title: 'Stored', views: 5, is_published: false, __v: 0 });
});

test('a create response equals a following GET', async (t) => {
  const tag = uniqueTag('post');
  const created = await agent().post('/api/posts/').send({ title: 'Same', tags: [tag], content: { text: 'x', lang: 'fr' }, published: true });
  t.is(created.status, 201);
  assertJson(t, await agent().get(`/api/posts/${created.body.id}/`), 200, created.body);
});

test('POST accepts renamed (API) keys', async (t) => {
  const author = await env().User.create({ email: uniqueEmail() });
  const tag = uniqueTag('post');
  const res = await agent().post('/api/posts/').send({ title: 'Renamed', tags: [tag], published: true, author_id: String(author._id) });
  assertJson(t, res, 201, postOut(res.body.id, res.body.created, { title: 'Renamed', tags: [tag], published: true, author_id: String(author._id) }));
  t.like(await env().Post.findById(res.body.id).lean(), { is_published: true, author: author._id });
});

test('POST ignores the internal names of renamed fields', async (t) => {
  const author = await env().User.create({ email: uniqueEmail() });
  const res = await agent().post('/api/posts/').send({ title: 'Internal', tags: [uniqueTag()], is_published: true, author: String(author._id) });
  t.is(res.status, 201);
  t.like(res.body, { published: false, author_id: null });
});

test('POST ignores _id, id and __v in the body', async (t) => {
  const chosen = new mongoose.Types.ObjectId().toHexString();
  const res = await agent().post('/api/posts/').send({ _id: chosen, id: chosen, __v: 7, title: 'Ids', tags: [uniqueTag()] });
  t.is(res.status, 201);
  t.not(res.body.id, chosen);
  t.is(await env().Post.exists({ _id: chosen }), null);
  t.is((await env().Post.collection.findOne({ _id: new mongoose.Types.ObjectId(res.body.id as string) }))?.__v, 0);
});

test('POST ignores computed and unknown keys', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Ignore', tags: [uniqueTag()], title_length: 99, nope: 1 });
  t.is(res.status, 201);
  t.is(res.body.title_length, 6);
  const stored = await env().Post.collection.findOne({ _id: new mongoose.Types.ObjectId(res.body.id as string) });
  t.false(stored !== null && 'nope' in stored);
  t.false(stored !== null && 'title_length' in stored);
});

test('POST casts ISO 8601 date strings and answers them as ISO 8601', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Dated', tags: [uniqueTag()], created: '2024-01-02T03:04:05.678+01:00' });
  t.is(res.status, 201);
  t.is(res.body.created, '2024-01-02T02:04:05.678Z');
});

test('POST keeps falsy array elements', async (t) => {
  const tag = uniqueTag('post');
  const res = await agent().post('/api/posts/').send({ title: 'Falsy', tags: [tag, '', '0'] });
  t.is(res.status, 201);
  t.deepEqual(res.body.tags, [tag, '', '0']);
});

test('a ValidationError thrown by validateRequest → 400 with the object it carries', async (t) => {
  const tag = uniqueTag('post');
  const res = await agent().post('/api/posts/').send({ title: 'forbidden', tags: [tag] });
  assertJson(t, res, 400, { 'field-errors': { title: 'not this one' }, hint: 42 });
  t.is(await env().Post.countDocuments({ tags: tag }), 0);
});

// ---- update --------------------------------------------------------------------------------------------

test('PUT changes only the keys sent and answers the whole object', async (t) => {
  const { tag, id, out } = await seedPost({ content: { text: 'body' } });
  const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ description: 'changed' });
  assertJson(t, res, 200, { ...out, description: 'changed' });
  t.like(await env().Post.findById(id).lean(), { title: 'Seeded', description: 'changed', views: 3, content: { text: 'body', lang: 'en' } });
});

test('an update response equals a following GET', async (t) => {
  const { tag, id } = await seedPost();
  const updated = await agent().put(`/api/posts/${id}`).set('X-Tag', tag).send({ title: 'After', published: true, content: { text: 'c' } });
  t.is(updated.status, 200);
  assertJson(t, await agent().get(`/api/posts/${id}`).set('X-Tag', tag), 200, updated.body);
});

test('PUT with an empty object changes nothing', async (t) => {
  const { tag, id, out } = await seedPost();
  assertJson(t, await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({}), 200, out);
});

test('PUT ignores _id, id and __v in the body', async (t) => {
  const { tag, id, out } = await seedPost();
  const other = new mongoose.Types.ObjectId().toHexString();
  const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ _id: other, id: other, __v: 99, title: 'Kept id' });
  assertJson(t, res, 200, { ...out, title: 'Kept id', title_length: 7 });
  // The body's 99 is ignored: the stored version moves by exactly one, the write's own increment (ETags).
  t.is((await env().Post.collection.findOne({ _id: new mongoose.Types.ObjectId(id) }))?.__v, 1);
  t.is(await env().Post.exists({ _id: other }), null);
});

test('PUT ignores computed and unknown keys', async (t) => {
  const { tag, id, out } = await seedPost();
  assertJson(t, await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ title_length: 1, nope: 2 }), 200, out);
});

test('PUT with null clears an optional field', async (t) => {
  const { tag, id, out } = await seedPost();
  assertJson(t, await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ description: null }), 200, { ...out, description: null });
  t.is((await env().Post.findById(id).lean())?.description, null);
});

test('PUT replaces a sub-document as a whole (its defaults apply again)', async (t) => {
  const { tag, id, out } = await seedPost({ content: { text: 'old', lang: 'de' } });
  const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ content: { text: 'new' } });
  assertJson(t, res, 200, { ...out, content: { text: 'new', lang: 'en' } });
});

test('PUT with null on a required field → 400 field-errors and nothing written', async (t) => {
  const { tag, id } = await seedPost();
  const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ title: null, description: 'not written' });
  assertJson(t, res, 400, { 'field-errors': { title: 'Path `title` is required.' } });
  t.like(await env().Post.findById(id).lean(), { title: 'Seeded', description: 'kept' });
});

test('"Infinity" for a Number field → 400 field-errors on every server, nothing written', async (t) => {
  const { tag, id } = await seedPost();
  for (const value of ['Infinity', '-Infinity']) {
    const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ views: value, description: 'not written' });
    assertJson(t, res, 400, { 'field-errors': { views: 'Must be a finite number.' } });
  }
  const created = await agent().post('/api/posts/').send({ title: 'infinite', views: 'Infinity' });
  assertJson(t, created, 400, { 'field-errors': { views: 'Must be a finite number.' } });
  t.like(await env().Post.findById(id).lean(), { description: 'kept' });
  t.is(await env().Post.countDocuments({ title: 'infinite' }), 0);
});

// ---- bulk update ---------------------------------------------------------------------------------------

test('bulk PUT applies the body to every matching document and answers {"count": n}', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create([1, 2, 3].map((i) => ({ title: `bulk ${i}`, tags: [tag] })));
  assertJson(t, await agent().put('/api/posts/').set('X-Tag', tag).send({ description: 'bulk', published: true }), 200, { count: 3 });
  const stored = await env().Post.find({ tags: tag }).lean();
  t.deepEqual(stored.map((doc) => [doc.description, doc.is_published]), [
    ['bulk', true],
    ['bulk', true],
    ['bulk', true],
  ]);
});

test('bulk PUT matching nothing answers {"count": 0}', async (t) => {
  assertJson(t, await agent().put('/api/posts/').set('X-Tag', uniqueTag()).send({ description: 'none' }), 200, { count: 0 });
});

test('bulk PUT is narrowed by the declared filters', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create([{ title: 'one', views: 1, tags: [tag] }, { title: 'two', views: 2, tags: [tag] }]);
  assertJson(t, await agent().put('/api/posts/?views=1').set('X-Tag', tag).send({ description: 'only one' }), 200, { count: 1 });
  const stored = await env().Post.find({ tags: tag }).sort({ views: 1 }).lean();
  t.deepEqual(stored.map((doc) => doc.description ?? null), ['only one', null]);
});

test('bulk PUT with an undeclared filter → 400 and nothing written', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create({ title: 'safe', tags: [tag] });
  const res = await agent().put('/api/posts/?titel=safe').set('X-Tag', tag).send({ description: 'widened' });
  t.is(res.status, 400);
  t.is(typeof res.body.error, 'string');
  t.is((await env().Post.findOne({ tags: tag }).lean())?.description, undefined);
});

test('bulk PUT ignores the output parameters _fields and _count (its answer is {"count"})', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create({ title: 'reserved', tags: [tag] });
  assertJson(t, await agent().put('/api/posts/?_fields=title&_count=1').set('X-Tag', tag).send({ description: 'x' }), 200, { count: 1 });
  t.is((await env().Post.findOne({ tags: tag }).lean())?.description, 'x');
});

// Issue 10, item 7: these were ignored, so `?_limit=1` changed every matching document.
for (const query of ['_limit=1', '_skip=1', '_order_by=views', '_limit=', '_fields=title&_skip=0', '_limit=1&_limit=2']) {
  const name = query.includes('_limit') ? '_limit' : query.includes('_skip') ? '_skip' : '_order_by';
  test(`bulk PUT with ?${query} → 400 naming ${name}, nothing written`, async (t) => {
    const tag = uniqueTag('bulk');
    await env().Post.create([{ title: 'one', views: 1, tags: [tag] }, { title: 'two', views: 2, tags: [tag] }]);
    assertJson(t, await agent().put(`/api/posts/?${query}`).set('X-Tag', tag).send({ description: 'changed' }), 400, {
      error: `${name} is not allowed on a bulk update.`,
    });
    t.deepEqual((await env().Post.find({ tags: tag }).lean()).map((doc) => doc.description ?? null), [null, null]);
  });
}

test('bulk PUT with _limit and a filter → 400 before the filter or the body is looked at', async (t) => {
  const res = await agent().put('/api/posts/?titel=x&_limit=1').set('Content-Type', 'text/plain').send('not json');
  assertJson(t, res, 400, { error: '_limit is not allowed on a bulk update.' });
});

test('bulk PUT touching exactly bulkUpdateLimit documents is allowed', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create([1, 2, 3].map((i) => ({ title: `limit ${i}`, tags: [tag] })));
  assertJson(t, await agent().put('/api/posts/').set('X-Tag', tag).send({ views: 9 }), 200, { count: 3 });
});

test('bulk PUT matching more than bulkUpdateLimit documents → 400 and nothing written', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create([1, 2, 3, 4].map((i) => ({ title: `over ${i}`, tags: [tag] })));
  const res = await agent().put('/api/posts/').set('X-Tag', tag).send({ views: 9 });
  assertJson(t, res, 400, { error: "It's not allowed to update more than 3 objects at once" });
  t.deepEqual((await env().Post.find({ tags: tag }).lean()).map((doc) => doc.views), [0, 0, 0, 0]);
});

test('bulk PUT validates every document before writing any (one invalid → 400, none written)', async (t) => {
  const tag = uniqueTag('bulk');
  const tooLong = 'x'.repeat(201);
  await env().Post.create([{ title: 'valid a', tags: [tag] }, { title: 'valid b', tags: [tag] }]);
  // Stored before a validator tightened: invalid as it stands.
  await env().Post.collection.insertOne({ title: tooLong, tags: [tag], views: 0 });
  const res = await agent().put('/api/posts/').set('X-Tag', tag).send({ description: 'half-written?' });
  const { Post } = env();
  const invalid = (await new Post({ title: tooLong }).validate().catch((error: unknown) => error)) as mongoose.Error.ValidationError;
  const message = invalid.errors.title?.message;
  assertJson(t, res, 400, { 'field-errors': { title: message } });
  t.deepEqual((await env().Post.find({ tags: tag }).lean()).map((doc) => doc.description), [undefined, undefined, undefined]);
});

test('bulk PUT with an invalid body → 400 field-errors and nothing written', async (t) => {
  const tag = uniqueTag('bulk');
  await env().Post.create([{ title: 'a', tags: [tag] }, { title: 'b', tags: [tag] }]);
  const res = await agent().put('/api/posts/').set('X-Tag', tag).send({ title: 'y'.repeat(201), description: 'no' });
  t.is(res.status, 400);
  t.deepEqual(Object.keys(res.body['field-errors'] as object), ['title']);
  t.deepEqual((await env().Post.find({ tags: tag }).lean()).map((doc) => doc.description), [undefined, undefined]);
});

test('bulk PUT ignores _id and id in the body', async (t) => {
  const tag = uniqueTag('bulk');
  const [a] = await env().Post.create([{ title: 'a', tags: [tag] }]);
  const other = new mongoose.Types.ObjectId().toHexString();
  assertJson(t, await agent().put('/api/posts/').set('X-Tag', tag).send({ _id: other, id: other, description: 'd' }), 200, { count: 1 });
  t.like(await env().Post.findById(a!._id).lean(), { description: 'd' });
});

// ---- delete --------------------------------------------------------------------------------------------

test('DELETE → 204 without a body', async (t) => {
  const { tag, id } = await seedPost();
  const res = await agent().delete(`/api/posts/${id}/`).set('X-Tag', tag);
  t.is(res.status, 204);
  t.is(res.text, '');
  t.is(res.headers['content-type'], undefined);
});

test('DELETE removes the document: a following GET → 404', async (t) => {
  const { tag, id } = await seedPost();
  await agent().delete(`/api/posts/${id}/`).set('X-Tag', tag);
  assertJson(t, await agent().get(`/api/posts/${id}/`), 404, { error: 'Not found' });
  t.is(await env().Post.exists({ _id: id }), null);
});

test('DELETE of an already deleted document → 404', async (t) => {
  const { tag, id } = await seedPost();
  await agent().delete(`/api/posts/${id}`).set('X-Tag', tag);
  assertJson(t, await agent().delete(`/api/posts/${id}`).set('X-Tag', tag), 404, { error: 'Not found' });
});

// ---- unicode -------------------------------------------------------------------------------------------

const unicodeTitle = 'Zürich — 東京 🎉 ﷽ e\u0301';

test('unicode sent as raw UTF-8 round-trips through create and GET', async (t) => {
  const tag = uniqueTag('uni');
  // JSON.stringify leaves non-ASCII characters as they are: the request carries them as raw UTF-8 bytes.
  const raw = JSON.stringify({ title: unicodeTitle, tags: [tag] });
  t.false(raw.includes('\\u'));
  const res = await agent().post('/api/posts/').set('Content-Type', 'application/json; charset=utf-8').send(raw);
  t.is(res.status, 201);
  t.is(res.body.title, unicodeTitle);
  t.is((await agent().get(`/api/posts/${res.body.id}/`)).body.title, unicodeTitle);
  t.is((await env().Post.findById(res.body.id).lean())?.title, unicodeTitle);
});

test('unicode sent as \\u escapes (surrogate pairs included) is decoded', async (t) => {
  const tag = uniqueTag('uni');
  const escaped = `{"title":"\\u00fcber \\ud83c\\udf89 \\u6771\\u4eac","tags":["${tag}"]}`;
  const res = await agent().post('/api/posts/').set('Content-Type', 'application/json').send(escaped);
  t.is(res.status, 201);
  t.is(res.body.title, 'über 🎉 東京');
  t.is((await env().Post.findById(res.body.id).lean())?.title, 'über 🎉 東京');
});

test('unicode round-trips through PUT', async (t) => {
  const { tag, id } = await seedPost();
  const res = await agent().put(`/api/posts/${id}/`).set('X-Tag', tag).send({ description: unicodeTitle });
  t.is(res.body.description, unicodeTitle);
  t.is((await agent().get(`/api/posts/${id}/`)).body.description, unicodeTitle);
});

test('responses are UTF-8 JSON', async (t) => {
  const { id } = await seedPost({ title: unicodeTitle });
  const res = await agent().get(`/api/posts/${id}/?_fields=title`).buffer(true).parse((response, done) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => done(null, Buffer.concat(chunks)));
  });
  t.is(res.headers['content-type'], 'application/json; charset=utf-8');
  t.deepEqual(res.body, Buffer.from(JSON.stringify({ title: unicodeTitle }), 'utf8'));
});

// ---- Mongoose validation → 400 field-errors ------------------------------------------------------------

test('a validator failing → 400 field-errors keyed by the field', async (t) => {
  const res = await agent().post('/api/user/').send({ email: 'not-an-email' });
  assertJson(t, res, 400, { 'field-errors': { email: 'Not a valid email address' } });
});

test('a missing required field → 400 field-errors with Mongoose’s message', async (t) => {
  assertJson(t, await agent().post('/api/user/').send({ first_name: 'Ann' }), 400, { 'field-errors': { email: 'Path `email` is required.' } });
});

test('an invalid array item → 400 field-errors keyed by its index (emails.1)', async (t) => {
  const res = await agent().post('/api/user/').send({ email: uniqueEmail(), emails: ['ok@example.com', 'bad', 'fine@example.com'] });
  assertJson(t, res, 400, { 'field-errors': { 'emails.1': 'Not a valid email address' } });
});

test('several invalid fields → every one in field-errors', async (t) => {
  const res = await agent().post('/api/user/').send({ email: 'x', balance: -1, emails: ['bad'] });
  assertJson(t, res, 400, {
    'field-errors': {
      email: 'Not a valid email address',
      balance: 'Path `balance` (-1) is less than minimum allowed value (0).',
      'emails.0': 'Not a valid email address',
    },
  });
});

test('a value that does not cast → 400 field-errors naming the type, not the model', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Cast', tags: [uniqueTag()], views: 'many' });
  assertJson(t, res, 400, { 'field-errors': { views: 'Cast to Number failed for value "many" (type string)' } });
});

test('an error on a renamed field is keyed (and worded) by its API name', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Renamed', tags: [uniqueTag()], published: 'maybe' });
  assertJson(t, res, 400, { 'field-errors': { published: 'Cast to Boolean failed for value "maybe" (type string)' } });
});

test('a validation error on update → 400 field-errors and nothing written', async (t) => {
  const user = await env().User.create({ email: uniqueEmail(), first_name: 'Kept' });
  const res = await agent().put(`/api/user/${String(user._id)}/`).send({ first_name: 'Lost', emails: ['a@example.com', 'b@example.com', 'nope'] });
  assertJson(t, res, 400, { 'field-errors': { 'emails.2': 'Not a valid email address' } });
  t.like(await env().User.findById(user._id).lean(), { first_name: 'Kept', emails: [] });
});

test('a validator message names the API name of a renamed field', async (t) => {
  assertJson(t, await agent().post('/api/people/').send({}), 400, { 'field-errors': { mail: 'Path `mail` is required.' } });
});

test('a value that does not cast into a sub-document → 400 without Mongoose’s type names', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Sub', tags: [uniqueTag()], content: 'text' });
  assertJson(t, res, 400, { 'field-errors': { content: 'Cast to Object failed for value "text" (type string)' } });
});

test('a long value that does not cast is not echoed whole', async (t) => {
  const res = await agent().post('/api/posts/').send({ title: 'Long', tags: [uniqueTag()], views: 'n'.repeat(10_000) });
  assertJson(t, res, 400, { 'field-errors': { views: `Cast to Number failed for value "${'n'.repeat(99)}…" (type string)` } });
});

// ---- duplicate key → 409 -------------------------------------------------------------------------------

const conflict = (field: string) => ({ error: 'A document with the same unique value already exists.', 'field-errors': { [field]: 'already exists' } });

test('creating a duplicate of a unique field → 409 naming the field', async (t) => {
  const email = uniqueEmail();
  t.is((await agent().post('/api/user/').send({ email })).status, 201);
  assertJson(t, await agent().post('/api/user/').send({ email }), 409, conflict('email'));
  t.is(await env().User.countDocuments({ email }), 1);
});

test('updating to a duplicate of a unique field → 409 naming the field, nothing written', async (t) => {
  const taken = uniqueEmail();
  await env().User.create({ email: taken });
  const user = await env().User.create({ email: uniqueEmail(), first_name: 'Kept' });
  const res = await agent().put(`/api/user/${String(user._id)}/`).send({ email: taken, first_name: 'Lost' });
  assertJson(t, res, 409, conflict('email'));
  t.like(await env().User.findById(user._id).lean(), { first_name: 'Kept' });
});

test('a duplicate of a renamed unique field → 409 naming its API name', async (t) => {
  const mail = uniqueEmail();
  await env().User.create({ email: mail });
  assertJson(t, await agent().post('/api/people/').send({ mail }), 409, conflict('mail'));
});

test('a bulk update setting a unique field on several documents → 409 and nothing written', async (t) => {
  const tag = uniqueTag('bulk');
  await env().User.create([{ email: uniqueEmail(), last_name: tag }, { email: uniqueEmail(), last_name: tag }]);
  const res = await agent().put('/api/tagged-users/').set('X-Tag', tag).send({ email: uniqueEmail(), first_name: 'Lost' });
  assertJson(t, res, 409, conflict('email'));
  t.deepEqual((await env().User.find({ last_name: tag }).lean()).map((user) => user.first_name), [undefined, undefined]);
});

test('a bulk update setting a unique field to a value another document holds → 409 and nothing written', async (t) => {
  const tag = uniqueTag('bulk');
  const taken = uniqueEmail();
  await env().User.create({ email: taken });
  await env().User.create({ email: uniqueEmail(), last_name: tag });
  const res = await agent().put('/api/tagged-users/').set('X-Tag', tag).send({ email: taken, first_name: 'Lost' });
  assertJson(t, res, 409, conflict('email'));
  t.deepEqual((await env().User.find({ last_name: tag }).lean()).map((user) => user.first_name), [undefined]);
});

test('a bulk update setting a unique field on one document to a free value succeeds', async (t) => {
  const tag = uniqueTag('bulk');
  await env().User.create({ email: uniqueEmail(), last_name: tag });
  const email = uniqueEmail();
  assertJson(t, await agent().put('/api/tagged-users/').set('X-Tag', tag).send({ email }), 200, { count: 1 });
  t.is((await env().User.findOne({ last_name: tag }).lean())?.email, email);
});

test('a bulk update setting a unique field to the value the document already has succeeds', async (t) => {
  const tag = uniqueTag('bulk');
  const email = uniqueEmail();
  await env().User.create({ email, last_name: tag });
  assertJson(t, await agent().put('/api/tagged-users/').set('X-Tag', tag).send({ email, first_name: 'Same' }), 200, { count: 1 });
});

// ---- what the write hooks receive ----------------------------------------------------------------------

test('createObject receives internal names, limited to writable fields', async (t) => {
  const tag = uniqueTag('spy');
  const res = await agent().post('/api/spy/').send({ title: tag, published: true, is_published: false, title_length: 3, id: 'x', nope: 1, tags: [tag] });
  t.is(res.status, 201);
  t.deepEqual(
    env().hookCalls.filter((call) => call.hook === 'createObject' && (call.data as PlainDocument).title === tag),
    [{ hook: 'createObject', data: { title: tag, is_published: true, tags: [tag] } }],
  );
});

test('updateObject receives the stored Mongoose document and internal names', async (t) => {
  const { tag, id } = await seedPost({ title: uniqueTag('spy') });
  const stored = (await env().Post.findById(id).lean())!.title;
  t.is((await agent().put(`/api/spy/${id}/`).set('X-Tag', tag).send({ published: true, nope: 1 })).status, 200);
  t.deepEqual(
    env().hookCalls.filter((call) => call.hook === 'updateObject' && call.stored === stored),
    [{ hook: 'updateObject', data: { is_published: true }, isDocument: true, stored }],
  );
});

// ---- unexpected errors → 500 ---------------------------------------------------------------------------

test('an unexpected exception → 500 {"error":"Internal Server Error"} without internals', async (t) => {
  const res = await agent().post('/api/boom/').send({ title: 'boom', tags: [uniqueTag()] });
  assertJson(t, res, 500, { error: 'Internal Server Error' });
  t.false(res.text.includes('secret'));
  t.false(res.text.includes('BoomResource'));
  t.is(res.headers.location, undefined);
});

test('an unexpected exception is handed to onError', async (t) => {
  await agent().post('/api/boom/').send({ title: 'boom', tags: [uniqueTag()] });
  t.true(env().unexpected.some((error) => error instanceof Error && error.message.startsWith('secret detail')));
});

test('an exception in a computed field → 500 without internals', async (t) => {
  const { id } = await seedPost({ title: 'explode' });
  const res = await agent().get(`/api/boom/${id}/`);
  assertJson(t, res, 500, { error: 'Internal Server Error' });
  t.false(res.text.includes('secret'));
});
