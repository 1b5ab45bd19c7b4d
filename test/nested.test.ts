/**
 * Nested sub-resources (issue 14 item 3): `api.register(CommentView, { url: '/comments/', parent: { view: 'posts', field: 'post' } })`
 * serves `/posts/<postPk>/comments/` and `/posts/<postPk>/comments/<pk>/`. The parent is looked up
 * through the parent view (queryset, Resource and view `hasReadPermission`, with the request's ctx) and
 * 404s before the body is read; every lookup, list, count, cursor, stream and bulk operation is narrowed
 * to the parent's children; writes take the parent from the URL. Also: what `register` refuses.
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
  action,
  methods,
  ops,
  type AnyModel,
  type AnyQuery,
  type MongoRestState,
  type RequestContext,
} from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const KEY = 'nested-key';
const NDJSON = 'application/x-ndjson';
const NOT_FOUND = { error: 'Not found' };
const FOREIGN_CURSOR = { error: 'This cursor was made for another ordering or other filters.' };

function build(connection: Connection) {
  const Post = connection.model(
    'Post',
    new mongoose.Schema({ title: { type: String, required: true }, secret: { type: Boolean, default: false }, removed: { type: Boolean, default: false } }),
  );
  const Comment = connection.model(
    'Comment',
    new mongoose.Schema({
      text: { type: String, required: true },
      votes: { type: Number, default: 0 },
      post: { type: mongoose.Schema.Types.ObjectId, ref: 'Post', required: true },
    }),
  );

  class PostResource extends Resource {
    document = Post;
    fields = ['id', 'title'];
    /** Resource-level rule: a removed post is gone everywhere. */
    override hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
      return query.where({ removed: { $ne: true } });
    }
  }
  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Fetch];
    /** Secret posts are for callers with the API key (set by the *comment* view's authentication). */
    override hasReadPermission(ctx: RequestContext, query: AnyQuery) {
      return ctx.state.user ? query : query.where({ secret: { $ne: true } });
    }
  }
  class CommentResource extends Resource {
    document = Comment;
    fields = ['id', 'text', 'votes', 'post'];
    renameFields = { post: 'post_id' };
    filters = { votes: [ops.Gte, ops.Exact], post_id: [ops.Exact], text: [ops.Exact] };
    allowedOrdering = ['votes', 'text'];
    defaultLimit = 2;
    maxLimit = 10;
  }
  class CommentView extends ResourceView {
    resource = CommentResource;
    methods = [
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
    authenticationMethods = [new ApiKeyAuthentication({ keys: [KEY] }), AnonymousAuthentication];
    /** Custom actions run on nested URLs too, narrowed to the parent like every method. */
    actions = [
      action({ name: 'upvote', target: 'item', handler: (ctx, { doc, resource }) => resource.updateObject(ctx, doc, { votes: Number(doc.votes) + 1 }) }),
      action({
        name: 'tally',
        target: 'collection',
        verb: 'GET',
        handler: async (ctx, { resource }) => ({ comments: await resource.run((await resource.readableQuery(ctx)).countDocuments()) }),
      }),
    ];
    /** The child view's own narrowing still applies: negative votes are hidden. */
    override hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
      return query.where({ votes: { $gte: 0 } });
    }
  }
  /** A read-only nested view: 405 comes before the parent lookup. */
  class ReadCommentView extends ResourceView {
    resource = CommentResource;
    methods = [methods.List];
  }

  /** The view's dispatch override sees the request's resource, already narrowed to the parent. */
  class CountingCommentView extends ResourceView {
    resource = CommentResource;
    methods = [methods.List];
    override async dispatch(ctx: RequestContext, _method: string, next: () => Promise<void>) {
      const { resource } = ctx.state.mongorest as MongoRestState;
      const query = await resource.readableQuery(ctx);
      ctx.set('X-Children', String(await resource.run(query.countDocuments())));
      await next();
    }
  }

  // A parent with numeric ids.
  const Board = connection.model('Board', new mongoose.Schema({ _id: Number, name: String }));
  const Thread = connection.model('Thread', new mongoose.Schema({ title: { type: String, required: true }, board: { type: Number, required: true } }));
  class BoardView extends ResourceView {
    resource = class BoardResource extends Resource {
      document = Board;
    };
    methods = [methods.Fetch];
  }
  class ThreadView extends ResourceView {
    resource = class ThreadResource extends Resource {
      document = Thread;
      fields = ['id', 'title', 'board'];
    };
    methods = [methods.List, methods.Create];
  }

  const api = new TestMongoRest({ prefix: '/api', idempotency: true, cursorSecret: 'nested-test-cursor-secret' });
  api.register(PostView, { url: '/posts/' });
  // `posts` names no view (the view's name is `post`): it resolves by the collection URL.
  api.register(CommentView, { url: '/comments/', parent: { view: 'posts', field: 'post' } });
  api.register(ReadCommentView, { url: '/read-comments/', name: 'read-comments', parent: { view: 'post', field: 'post' } });
  api.register(CountingCommentView, { url: '/counted-comments/', name: 'counted-comments', parent: { view: 'post', field: 'post' } });
  api.register(BoardView, { url: '/boards/' });
  api.register(ThreadView, { url: '/threads/', parent: { view: 'boards', field: 'board' } });
  // The same view at the top level too (registered without `parent`, under its own name).
  api.register(CommentView, { url: '/comments/', name: 'all-comments' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, api, Post, Comment, Board, Thread };
}

const env = useApp(test, import.meta.url, build);

/** Two posts with comments of their own (votes 1 and 2 on A, 3 on B, a hidden -1 on A). */
async function seed(options: { secret?: boolean; removed?: boolean } = {}) {
  const { Post, Comment } = env();
  const [a, b] = await Post.create([{ title: 'A', ...options }, { title: 'B' }]);
  const tag = uniqueTag();
  const [a1, a2, b1, hidden] = await Comment.create([
    { text: `a1-${tag}`, votes: 1, post: a!._id },
    { text: `a2-${tag}`, votes: 2, post: a!._id },
    { text: `b1-${tag}`, votes: 3, post: b!._id },
    { text: `hidden-${tag}`, votes: -1, post: a!._id },
  ]);
  const A = String(a!._id);
  const B = String(b!._id);
  const show = (doc: typeof a1, post: string) => ({ id: String(doc!._id), text: doc!.text, votes: doc!.votes, post_id: post });
  return { A, B, a1: show(a1, A), a2: show(a2, A), b1: show(b1, B), hidden: String(hidden!._id) };
}

const server = () => env().server;
const http = () => request(server());

// ---- reads ---------------------------------------------------------------------------------------

test('the list is narrowed to the parent in the URL (and to the child view’s own narrowing)', async (t) => {
  const { A, B, a1, a2, b1 } = await seed();
  assertJson(t, await http().get(`/api/posts/${A}/comments/?_order_by=votes`), 200, { data: [a1, a2], has_more: false });
  assertJson(t, await http().get(`/api/posts/${B}/comments`), 200, { data: [b1], has_more: false });
  // A filter on the parent field cannot widen the list: it is ANDed with the URL's parent.
  assertJson(t, await http().get(`/api/posts/${A}/comments/?post_id=${B}`), 200, { data: [], has_more: false });
  // _count counts the parent's children only.
  assertJson(t, await http().get(`/api/posts/${A}/comments/?_count=1&_limit=1&_order_by=votes`), 200, { data: [a1], has_more: true, total: 2 });
});

test('an item is found through its own parent only: another parent’s URL answers 404 for every method', async (t) => {
  const { A, B, a1 } = await seed();
  assertJson(t, await http().get(`/api/posts/${A}/comments/${a1.id}/`), 200, a1);
  assertJson(t, await http().get(`/api/posts/${B}/comments/${a1.id}/`), 404, NOT_FOUND);
  assertJson(t, await http().put(`/api/posts/${B}/comments/${a1.id}/`).set('X-API-Key', KEY).send({ text: 'moved' }), 404, NOT_FOUND);
  assertJson(t, await http().patch(`/api/posts/${B}/comments/${a1.id}/`).set('X-API-Key', KEY).send({ text: 'moved' }), 404, NOT_FOUND);
  assertJson(t, await http().delete(`/api/posts/${B}/comments/${a1.id}/`).set('X-API-Key', KEY), 404, NOT_FOUND);
  const stored = await env().Comment.findById(a1.id).lean();
  t.is(stored?.text, a1.text);
  t.is(String(stored?.post), A);
});

test('the top-level registration of the same view still serves every comment', async (t) => {
  const { a1, b1 } = await seed();
  assertJson(t, await http().get(`/api/comments/?text=${a1.text}`), 200, { data: [a1], has_more: false });
  assertJson(t, await http().get(`/api/comments/${b1.id}/`), 200, b1);
});

test('an unknown parent is a 404 for every method, before the body is read', async (t) => {
  const missing = new mongoose.Types.ObjectId().toString();
  const url = `/api/posts/${missing}/comments/`;
  assertJson(t, await http().get(url), 404, NOT_FOUND);
  assertJson(t, await http().get(`${url}${missing}/`), 404, NOT_FOUND);
  // Bodies that would be 400/415 on a known parent: the parent's 404 comes first.
  assertJson(t, await http().post(url).set('X-API-Key', KEY).set('Content-Type', 'application/json').send('{not json'), 404, NOT_FOUND);
  assertJson(t, await http().post(url).set('X-API-Key', KEY).set('Content-Type', 'text/plain').send('hello'), 404, NOT_FOUND);
  assertJson(t, await http().put(`${url}${missing}/`).set('X-API-Key', KEY).send([1]), 404, NOT_FOUND);
  assertJson(t, await http().delete(`${url}?votes=1`).set('X-API-Key', KEY), 404, NOT_FOUND);
  const stream = await http().get(url).set('Accept', NDJSON);
  t.is(stream.status, 404);
});

test('hostile parent pks answer 404 JSON, never 500', async (t) => {
  const hostile = [
    'not-an-id',
    '%00',
    '%2e%2e',
    'constructor',
    '__proto__',
    '%7B%22%24gt%22%3A%22%22%7D', // {"$gt":""}
    '%E0%A4%A', // malformed percent-encoding
    'a%2Fb', // an encoded slash
    'x'.repeat(5000),
    '0'.repeat(24).replace(/^0/, 'g'), // 24 characters, not hex
    '%20' + '0'.repeat(24),
  ];
  for (const pk of hostile) {
    const res = await http().get(`/api/posts/${pk}/comments/`);
    t.is(res.status, 404, pk.slice(0, 40));
    t.deepEqual(res.body, NOT_FOUND, pk.slice(0, 40));
  }
});

test('a parent the caller cannot read is a 404 (not 403); the parent view’s narrowing sees the request’s user', async (t) => {
  const { A, a1 } = await seed({ secret: true });
  assertJson(t, await http().get(`/api/posts/${A}/comments/`), 404, NOT_FOUND);
  assertJson(t, await http().get(`/api/posts/${A}/comments/${a1.id}/`), 404, NOT_FOUND);
  // Refused before the body is parsed: a malformed body does not get its 400.
  assertJson(t, await http().post(`/api/posts/${A}/comments/`).set('Content-Type', 'application/json').send('{not json'), 404, NOT_FOUND);
  // The comment view authenticates the key; the post view's hasReadPermission then lets the secret post through.
  assertJson(t, await http().get(`/api/posts/${A}/comments/${a1.id}/`).set('X-API-Key', KEY), 200, a1);
});

test('the parent resource’s own hasReadPermission applies too (a removed post has no comments to show)', async (t) => {
  const { A } = await seed({ removed: true });
  assertJson(t, await http().get(`/api/posts/${A}/comments/`).set('X-API-Key', KEY), 404, NOT_FOUND);
});

test('a method the nested view does not serve is a 405 with Allow, whatever the parent', async (t) => {
  const missing = new mongoose.Types.ObjectId().toString();
  const res = await http().post(`/api/posts/${missing}/read-comments/`).send({});
  assertJson(t, res, 405, { error: 'Method not allowed' });
  t.is(res.headers.allow, 'GET, HEAD, OPTIONS');
  const options = await http().options(`/api/posts/${missing}/read-comments/`);
  t.is(options.status, 204);
  t.is(options.headers.allow, 'GET, HEAD, OPTIONS');
});

test('cursors are bound to the parent: one made on /posts/A/comments/ is foreign on /posts/B/comments/', async (t) => {
  const { A, B, a1, a2 } = await seed();
  const first = await http().get(`/api/posts/${A}/comments/?_after=&_limit=1&_order_by=votes`);
  assertJson(t, first, 200, { data: [a1], has_more: true, next: (first.body as { next: string }).next });
  const next = (first.body as { next: string }).next;
  assertJson(t, await http().get(`/api/posts/${A}/comments/?_after=${next}&_limit=1&_order_by=votes`), 200, { data: [a2], has_more: false });
  assertJson(t, await http().get(`/api/posts/${B}/comments/?_after=${next}&_limit=1&_order_by=votes`), 400, FOREIGN_CURSOR);
  assertJson(t, await http().get(`/api/comments/?_after=${next}&_limit=1&_order_by=votes`), 400, FOREIGN_CURSOR);
});

test('an NDJSON stream sends the parent’s children only', async (t) => {
  const { A, a1, a2 } = await seed();
  const res = await http()
    .get(`/api/posts/${A}/comments/?_order_by=votes`)
    .set('Accept', NDJSON)
    .buffer(true)
    .parse((response, done) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => done(null, text));
    });
  t.is(res.status, 200);
  t.is(res.body, `${JSON.stringify(a1)}\n${JSON.stringify(a2)}\n`);
});

test('HEAD on a nested list: 200 for a known parent, 404 without a body for an unknown one', async (t) => {
  const { A } = await seed();
  const known = await http().head(`/api/posts/${A}/comments/`);
  t.is(known.status, 200);
  const unknown = await http().head(`/api/posts/${new mongoose.Types.ObjectId().toString()}/comments/`);
  t.is(unknown.status, 404);
  t.falsy(unknown.text);
});

test('the view’s dispatch override gets the request’s resource already narrowed to the parent', async (t) => {
  const { A, B } = await seed();
  const a = await http().get(`/api/posts/${A}/counted-comments/`);
  t.is(a.status, 200);
  t.is(a.headers['x-children'], '3', 'two visible comments and the one only the comment view hides');
  t.is((await http().get(`/api/posts/${B}/counted-comments/`)).headers['x-children'], '1');
});

test('numeric parent ids: cast like the parent’s own pks, canonical in Location; what does not cast is a 404', async (t) => {
  const id = 1000 + Math.floor(Math.random() * 1_000_000);
  await env().Board.create({ _id: id, name: 'general' });
  const res = await http().post(`/api/boards/${id}/threads/`).send({ title: 'hello' });
  const threadId = (res.body as { id: string }).id;
  assertJson(t, res, 201, { id: threadId, title: 'hello', board: id });
  t.is(res.headers.location, `/api/boards/${id}/threads/${threadId}/`);
  assertJson(t, await http().get(`/api/boards/${id}/threads/`), 200, { data: [{ id: threadId, title: 'hello', board: id }], has_more: false });
  assertJson(t, await http().post(`/api/boards/${id}/threads/`).send({ title: 'x', board: id + 1 }), 400, {
    'field-errors': { board: `Must be the id of the parent in the URL (${JSON.stringify(String(id))}) or left out.` },
  });
  for (const pk of ['NaN', 'Infinity', '1e400', 'abc', `${id + 1}`, '%20']) assertJson(t, await http().get(`/api/boards/${pk}/threads/`), 404, NOT_FOUND);
});

test('custom actions of a nested view: found through the URL’s parent only; an unknown parent is a 404', async (t) => {
  const { A, B, a1 } = await seed();
  assertJson(t, await http().post(`/api/posts/${A}/comments/${a1.id}/upvote/`), 200, { ...a1, votes: 2 });
  assertJson(t, await http().post(`/api/posts/${B}/comments/${a1.id}/upvote/`), 404, NOT_FOUND);
  assertJson(t, await http().post(`/api/posts/${new mongoose.Types.ObjectId().toString()}/comments/${a1.id}/upvote/`), 404, NOT_FOUND);
  assertJson(t, await http().get(`/api/posts/${A}/comments/tally/`), 200, { comments: 2 });
  assertJson(t, await http().get(`/api/posts/${B}/comments/tally/`), 200, { comments: 1 });
  assertJson(t, await http().get('/api/posts/not-an-id/comments/tally/'), 404, NOT_FOUND);
  t.is((await env().Comment.findById(a1.id).lean())?.votes, 2);
});

// ---- writes --------------------------------------------------------------------------------------

test('create sets the parent from the URL; Location is the nested item URL', async (t) => {
  const { A } = await seed();
  const res = await http().post(`/api/posts/${A}/comments/`).set('X-API-Key', KEY).send({ text: 'new' });
  const id = (res.body as { id: string }).id;
  assertJson(t, res, 201, { id, text: 'new', votes: 0, post_id: A });
  t.is(res.headers.location, `/api/posts/${A}/comments/${id}/`);
  t.is(String((await env().Comment.findById(id).lean())?.post), A);
  assertJson(t, await http().get(res.headers.location!), 200, { id, text: 'new', votes: 0, post_id: A });
});

test('a body may name the URL’s parent again (its id, or {"id": …}), by the field’s API name', async (t) => {
  const { A } = await seed();
  for (const post_id of [A, A.toUpperCase(), { id: A }]) {
    const res = await http().post(`/api/posts/${A}/comments/`).set('X-API-Key', KEY).send({ text: 'same', post_id });
    t.is(res.status, 201, JSON.stringify(res.body));
    t.is((res.body as { post_id: string }).post_id, A);
  }
});

test('a body naming another parent (or none, or not an id) is a 400 on that field; nothing is written', async (t) => {
  const { A, B } = await seed();
  const error = { 'field-errors': { post_id: `Must be the id of the parent in the URL (${JSON.stringify(A)}) or left out.` } };
  for (const post_id of [B, null, 'garbage', 12, { id: B }, { id: A, title: 'renamed post' }, [A]]) {
    assertJson(t, await http().post(`/api/posts/${A}/comments/`).set('X-API-Key', KEY).send({ text: 'elsewhere', post_id }), 400, error);
  }
  t.is(await env().Comment.countDocuments({ text: 'elsewhere' }), 0);
});

test('an update cannot move a child to another parent (PUT, merge patch, JSON Patch, bulk update): 400', async (t) => {
  const { A, B, a1 } = await seed();
  const error = { 'field-errors': { post_id: `Must be the id of the parent in the URL (${JSON.stringify(A)}) or left out.` } };
  const item = `/api/posts/${A}/comments/${a1.id}/`;
  assertJson(t, await http().put(item).set('X-API-Key', KEY).send({ post_id: B }), 400, error);
  assertJson(t, await http().patch(item).set('X-API-Key', KEY).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ post_id: B })), 400, error);
  assertJson(
    t,
    await http().patch(item).set('X-API-Key', KEY).set('Content-Type', 'application/json-patch+json').send(JSON.stringify([{ op: 'remove', path: '/post_id' }])),
    400,
    error,
  );
  assertJson(t, await http().put(`/api/posts/${A}/comments/?votes__gte=0`).set('X-API-Key', KEY).send({ post_id: B }), 400, error);
  t.is(String((await env().Comment.findById(a1.id).lean())?.post), A);
  // The same parent, or leaving it out, is an ordinary update.
  assertJson(t, await http().put(item).set('X-API-Key', KEY).send({ text: 'edited', post_id: A }), 200, { ...a1, text: 'edited' });
  assertJson(t, await http().patch(item).set('X-API-Key', KEY).send({ votes: 7 }), 200, { ...a1, text: 'edited', votes: 7 });
});

test('bulk create sets the parent on every item; an item naming another parent fails the batch by index', async (t) => {
  const { A, B } = await seed();
  const url = `/api/posts/${A}/comments/`;
  const refused = await http().post(url).set('X-API-Key', KEY).send([{ text: 'bulk-x' }, { text: 'bulk-y', post_id: B }]);
  assertJson(t, refused, 400, { 'field-errors': { '1': { post_id: `Must be the id of the parent in the URL (${JSON.stringify(A)}) or left out.` } } });
  t.is(await env().Comment.countDocuments({ text: { $in: ['bulk-x', 'bulk-y'] } }), 0);
  const res = await http().post(url).set('X-API-Key', KEY).send([{ text: 'bulk-1' }, { text: 'bulk-2', post_id: A }]);
  t.is(res.status, 201);
  t.deepEqual(
    (res.body as { data: { text: string; post_id: string }[] }).data.map(({ text, post_id }) => [text, post_id]),
    [
      ['bulk-1', A],
      ['bulk-2', A],
    ],
  );
});

test('bulk update and bulk delete touch the parent’s children only', async (t) => {
  const { A, B, a1, a2, b1 } = await seed();
  assertJson(t, await http().put(`/api/posts/${A}/comments/?votes__gte=0`).set('X-API-Key', KEY).send({ votes: 9 }), 200, { count: 2 });
  assertJson(t, await http().get(`/api/posts/${B}/comments/`), 200, { data: [b1], has_more: false });
  assertJson(t, await http().delete(`/api/posts/${A}/comments/?votes=9`).set('X-API-Key', KEY), 200, { count: 2 });
  assertJson(t, await http().get(`/api/posts/${B}/comments/`), 200, { data: [b1], has_more: false });
  t.is(await env().Comment.countDocuments({ _id: { $in: [a1.id, a2.id] } }), 0);
});

test('delete through the parent’s URL: 204, then 404', async (t) => {
  const { A, a1 } = await seed();
  const url = `/api/posts/${A}/comments/${a1.id}/`;
  t.is((await http().delete(url).set('X-API-Key', KEY)).status, 204);
  assertJson(t, await http().get(url), 404, NOT_FOUND);
});

test('Idempotency-Key is scoped per nested URL: the same key under another parent is another request', async (t) => {
  const { A, B } = await seed();
  const key = `nested-${A}`;
  const first = await http().post(`/api/posts/${A}/comments/`).set('X-API-Key', KEY).set('Idempotency-Key', key).send({ text: 'keyed' });
  t.is(first.status, 201);
  const replay = await http().post(`/api/posts/${A}/comments/`).set('X-API-Key', KEY).set('Idempotency-Key', key).send({ text: 'keyed' });
  t.is(replay.status, 201);
  t.is(replay.headers['idempotent-replayed'], 'true');
  t.deepEqual(replay.body, first.body);
  const other = await http().post(`/api/posts/${B}/comments/`).set('X-API-Key', KEY).set('Idempotency-Key', key).send({ text: 'keyed' });
  t.is(other.status, 201, JSON.stringify(other.body));
  t.is(other.headers['idempotent-replayed'], undefined);
  t.is((other.body as { post_id: string }).post_id, B);
  t.is(other.headers.location, `/api/posts/${B}/comments/${(other.body as { id: string }).id}/`);
});

// ---- register ------------------------------------------------------------------------------------

function registerModels() {
  const connection = mongoose.createConnection();
  const Owner = connection.model('Owner', new mongoose.Schema({ name: String }));
  const Other = connection.model('Other', new mongoose.Schema({ name: String }));
  const Numbered = connection.model('Numbered', new mongoose.Schema({ _id: Number, name: String }));
  const Child = connection.model(
    'Child',
    new mongoose.Schema({
      owner: { type: mongoose.Schema.Types.ObjectId, ref: 'Owner' },
      other: { type: mongoose.Schema.Types.ObjectId, ref: 'Other' },
      loose: mongoose.Schema.Types.ObjectId,
      owners: [{ type: mongoose.Schema.Types.ObjectId, ref: 'Owner' }],
      title: String,
      count: Number,
      meta: { owner: { type: mongoose.Schema.Types.ObjectId, ref: 'Owner' } },
    }),
  );
  const view = (model: AnyModel) => {
    const View = class extends ResourceView {
      resource = class extends Resource {
        document = model;
      };
      methods = [methods.List];
    };
    return Object.defineProperty(View, 'name', { value: `${model.modelName}View` });
  };
  return { Owner, Other, Numbered, Child, view };
}

test('register refuses bad parent options with a sentence saying what to change', (t) => {
  const { Owner, Numbered, Child, view } = registerModels();
  const OwnerView = view(Owner);
  const ChildView = view(Child);
  const fresh = () => new MongoRest({ prefix: '/api' }).register(OwnerView, { url: '/owners/' }).register(view(Numbered), { url: '/numbered/' });
  const refuse = (parent: unknown, message: string) =>
    t.throws(() => fresh().register(ChildView, { url: '/children/', parent: parent as { view: string; field: string } }), { message }, JSON.stringify(parent));
  const name = ChildView.name;
  refuse('owner', `The parent option of ${name} must be { view: '<registered view name>', field: '<schema path of the child holding the parent id>' }.`);
  refuse({ view: 'owner' }, `The parent option of ${name} must be { view: '<registered view name>', field: '<schema path of the child holding the parent id>' }.`);
  refuse(
    { view: 'posts', field: 'owner' },
    `${name}: no view named "posts" is registered. Register the parent view first, then the views nested under it; registered: "owner" (/owners/), "numbered" (/numbered/).`,
  );
  refuse({ view: 'owner', field: 'nope' }, `${name}: the parent field "nope" is not a path of the Child schema.`);
  refuse({ view: 'owner', field: 'meta.owner' }, `${name}: the parent field "meta.owner" must be a top-level path of the Child schema.`);
  refuse({ view: 'owner', field: '_id' }, `${name}: the parent field "_id" cannot be the child's own _id.`);
  refuse({ view: 'owner', field: 'title' }, `${name}: the parent field "title" is a String; it must hold Owner ids (ObjectId, like Owner._id).`);
  refuse({ view: 'numbered', field: 'owner' }, `${name}: the parent field "owner" is a ObjectId; it must hold Numbered ids (Number, like Numbered._id).`);
  refuse({ view: 'owner', field: 'other' }, `${name}: the parent field "other" references Other, not Owner (the documents of the parent view).`);
  refuse({ view: 'owner', field: 'owners' }, `${name}: the parent field "owners" is an array: a nested view needs a single reference to its parent (Owner ObjectId).`);
  // Accepted: a plain ObjectId path, a Number path under a numbered parent, by name or by URL.
  t.notThrows(() => fresh().register(ChildView, { url: '/children/', parent: { view: 'owner', field: 'loose' } }));
  t.notThrows(() => fresh().register(ChildView, { url: '/children/', parent: { view: 'numbered', field: 'count' } }));
  t.notThrows(() => fresh().register(ChildView, { url: '/children/', parent: { view: '/owners/', field: 'owner' } }));
});

test('register: a parent registered later is unknown; nesting under a nested view and duplicates are refused', (t) => {
  const { Owner, Child, Other, view } = registerModels();
  const OwnerView = view(Owner);
  const ChildView = view(Child);
  const early = new MongoRest();
  t.throws(() => early.register(ChildView, { url: '/children/', parent: { view: 'owner', field: 'owner' } }), {
    message: `${ChildView.name}: no view named "owner" is registered. Register the parent view first, then the views nested under it.`,
  });
  const api = new MongoRest().register(OwnerView, { url: '/owners/' }).register(ChildView, { url: '/children/', parent: { view: 'owner', field: 'owner' } });
  // Default name of a nested registration: `<parent name>-<model name>`.
  t.throws(() => api.register(view(Other), { url: '/deeper/', parent: { view: 'owner-child', field: 'owner' } }), {
    message: `${'OtherView'} cannot be nested under "owner-child", which is itself nested: one level of nesting only.`,
  });
  t.throws(() => api.register(ChildView, { url: '/children/', name: 'again', parent: { view: 'owner', field: 'owner' } }), {
    message: 'A view is already registered at "/owners/<owner pk>/children/".',
  });
  t.throws(() => api.register(ChildView, { url: '/kids/', parent: { view: 'owner', field: 'owner' } }), {
    message: 'A view named "owner-child" is already registered (pass { name } to register another view of the same model).',
  });
  // A nested URL that is the URL of one of the parent's item actions would never be reached.
  class ActingOwnerView extends OwnerView {
    override actions = [action({ name: 'children', target: 'item', handler: () => undefined })];
  }
  const acting = new MongoRest().register(ActingOwnerView, { url: '/owners/' });
  t.throws(() => acting.register(ChildView, { url: '/children/', parent: { view: 'owner', field: 'owner' } }), {
    message: `${ChildView.name}: the URL "/children/" under "owner" is the URL of its item action "children".`,
  });
  // The same view at the top level is another URL and another name.
  t.notThrows(() => api.register(ChildView, { url: '/children/' }));
});
