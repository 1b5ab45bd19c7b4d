/**
 * Permission hooks (SPEC §3, issue 6): hasReadPermission narrows every lookup — list, fetch, update,
 * delete, bulk update — and a document outside it is 404 or untouched; hasAddPermission runs on the
 * built, validated, unsaved document; hasChangePermission / hasDeletePermission on the stored state;
 * refusals are 403 with nothing written; a throwing hook is 500. Black-box, real database.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { useTestDatabase } from './fixtures/database.js';
import {
  ApiKeyAuthentication,
  BearerAuthentication,
  Resource,
  ResourceView,
  methods,
  ops,
  type AnyDocument,
  type AnyModel,
  type AnyQuery,
  type PlainDocument,
  type RequestContext,
  type ResourceViewClass,
} from '../lib/index.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);

interface PostShape {
  _id: mongoose.Types.ObjectId;
  title: string;
  owner?: string;
  is_published: boolean;
  views: number;
}

let modelCount = 0;
function freshModel(): AnyModel {
  const schema = new mongoose.Schema({
    title: { type: String, required: true, maxlength: 200 },
    owner: String,
    is_published: { type: Boolean, default: false },
    views: { type: Number, default: 0, min: 0 },
  });
  return database().connection.model(`PermPost${++modelCount}`, schema);
}

async function stored(Post: AnyModel): Promise<PostShape[]> {
  return (await Post.find().sort({ title: 1, _id: 1 }).lean()) as PostShape[];
}

/** `X-API-Key: <name>-key` authenticates as `{ id: <name> }`. */
const people = new ApiKeyAuthentication({
  keys: { 'alice-key': { id: 'alice' }, 'bob-key': { id: 'bob' } },
});

type Hooks = Partial<Pick<ResourceView, 'hasReadPermission' | 'hasAddPermission' | 'hasChangePermission' | 'hasDeletePermission'>>;

function postView(Post: AnyModel, hooks: Hooks): ResourceViewClass {
  class PostResource extends Resource {
    document = Post;
    renameFields = { is_published: 'published' };
    filters = { title: [ops.Exact], owner: [ops.Exact] };
  }
  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
    override authenticationMethods = [people];
  }
  Object.assign(PostView.prototype, hooks);
  return PostView;
}

function serve(View: ResourceViewClass) {
  const errors: unknown[] = [];
  const api = new TestMongoRest({ prefix: '/api', onError: (error) => errors.push(error) });
  api.register(View, { url: '/posts/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  const server = app.callback();
  const as = (who: string) => ({
    get: (url: string) => request(server).get(url).set('X-API-Key', `${who}-key`),
    head: (url: string) => request(server).head(url).set('X-API-Key', `${who}-key`),
    post: (url: string) => request(server).post(url).set('X-API-Key', `${who}-key`),
    put: (url: string) => request(server).put(url).set('X-API-Key', `${who}-key`),
    delete: (url: string) => request(server).delete(url).set('X-API-Key', `${who}-key`),
  });
  return { as, errors };
}

const forbidden = { error: 'Forbidden' };
const notFound = { error: 'Not found' };
const internal = { error: 'Internal Server Error' };

const ownerOnly: Hooks = {
  hasReadPermission(ctx: RequestContext, query: AnyQuery) {
    return query.where({ owner: ctx.state.user.id });
  },
};

// ---- hasReadPermission -----------------------------------------------------------------------------

test('hasReadPermission narrows list (count included), fetch, HEAD, update, delete and bulk update; outside it is 404 or untouched', async (t) => {
  const Post = freshModel();
  const [a1, , b1] = (await Post.create([
    { title: 'shared', owner: 'alice' },
    { title: 'mine', owner: 'alice' },
    { title: 'shared', owner: 'bob' },
  ])) as AnyDocument[];
  const { as } = serve(postView(Post, ownerOnly));
  const alice = as('alice');
  const bobItem = `/api/posts/${String(b1!._id)}/`;

  const listed = await alice.get('/api/posts/?_count=1');
  t.is(listed.status, 200);
  t.deepEqual(listed.body.data.map((post: PlainDocument) => post.title).sort(), ['mine', 'shared']);
  t.is(listed.body.total, 2);
  const filtered = await alice.get('/api/posts/?owner=bob');
  t.deepEqual(filtered.body, { data: [], has_more: false }, 'a client filter cannot widen the permission');

  for (const response of [
    await alice.get(bobItem),
    await alice.put(bobItem).send({ title: 'taken over' }),
    await alice.delete(bobItem),
  ]) {
    t.deepEqual([response.status, response.body], [404, notFound]);
  }
  t.is((await alice.head(bobItem)).status, 404);
  t.is((await alice.get(`/api/posts/${String(a1!._id)}/`)).status, 200);

  const bulk = await alice.put('/api/posts/?title=shared').send({ published: true });
  t.deepEqual([bulk.status, bulk.body], [200, { count: 1 }]);

  const after = await stored(Post);
  t.deepEqual(
    after.map((post) => [post.title, post.owner, post.is_published]),
    [['mine', 'alice', false], ['shared', 'alice', true], ['shared', 'bob', false]],
  );
});

test('hasReadPermission may be async and return the query (it is not run by the await)', async (t) => {
  const Post = freshModel();
  const [, b1] = (await Post.create([{ title: 'a', owner: 'alice' }, { title: 'b', owner: 'bob' }])) as AnyDocument[];
  const { as } = serve(
    postView(Post, {
      async hasReadPermission(ctx: RequestContext, query: AnyQuery) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return query.where({ owner: ctx.state.user.id });
      },
    }),
  );
  const listed = await as('bob').get('/api/posts/');
  t.deepEqual(listed.body.data.map((post: PlainDocument) => post.title), ['b']);
  t.is((await as('bob').get(`/api/posts/${String(b1!._id)}/`)).status, 200);
  t.is((await as('alice').get(`/api/posts/${String(b1!._id)}/`)).status, 404);
  t.is((await as('alice').delete(`/api/posts/${String(b1!._id)}/`)).status, 404);
  t.is((await as('bob').delete(`/api/posts/${String(b1!._id)}/`)).status, 204);
});

test('hasReadPermission that throws, or returns something other than the query, answers 500 with no data and no write', async (t) => {
  const Post = freshModel();
  const [p] = (await Post.create([{ title: 'secret', owner: 'alice' }])) as AnyDocument[];
  const item = `/api/posts/${String(p!._id)}/`;
  const answers: Array<(query: AnyQuery) => unknown> = [
    () => {
      throw new Error('policy service down');
    },
    () => null,
    () => ({ owner: 'alice' }),
    (query) => query.exec(),
  ];
  for (const answer of answers) {
    const { as, errors } = serve(
      postView(Post, {
        hasReadPermission: ((_ctx: RequestContext, query: AnyQuery) => answer(query)) as ResourceView['hasReadPermission'],
      }),
    );
    const alice = as('alice');
    for (const response of [
      await alice.get('/api/posts/'),
      await alice.get(item),
      await alice.put(item).send({ title: 'changed' }),
      await alice.delete(item),
      await alice.put('/api/posts/?title=secret').send({ title: 'changed' }),
    ]) {
      t.deepEqual([response.status, response.body], [500, internal]);
    }
    t.is(errors.length, 5);
  }
  t.deepEqual((await stored(Post)).map((post) => post.title), ['secret']);
});

// ---- hasAddPermission ------------------------------------------------------------------------------

test('hasAddPermission runs on the built, validated, not yet saved document; a refusal is 403 and nothing is saved', async (t) => {
  const Post = freshModel();
  const seen: Array<{ title: string; isNew: boolean; published: boolean; views: number; inDatabase: number }> = [];
  const { as } = serve(
    postView(Post, {
      async hasAddPermission(ctx: RequestContext, doc: AnyDocument) {
        seen.push({ title: doc.title, isNew: doc.isNew, published: doc.is_published, views: doc.views, inDatabase: await Post.countDocuments() });
        return doc.owner === ctx.state.user.id;
      },
    }),
  );
  const alice = as('alice');

  const refused = await alice.post('/api/posts/').send({ title: 'for bob', owner: 'bob' });
  t.deepEqual([refused.status, refused.body], [403, forbidden]);
  t.is(refused.headers.location, undefined);
  t.deepEqual(seen, [{ title: 'for bob', isNew: true, published: false, views: 0, inDatabase: 0 }]);
  t.is(await Post.countDocuments(), 0);

  const invalid = await alice.post('/api/posts/').send({ owner: 'alice', views: -1 });
  t.is(invalid.status, 400);
  t.deepEqual(Object.keys(invalid.body['field-errors']).sort(), ['title', 'views']);
  t.is(seen.length, 1, 'an invalid document never reaches the hook');

  const created = await alice.post('/api/posts/').send({ title: 'mine', owner: 'alice' });
  t.is(created.status, 201);
  t.deepEqual((await stored(Post)).map((post) => post.title), ['mine']);
});

test('permission hooks are fail closed: only a literal true allows', async (t) => {
  const Post = freshModel();
  const [p] = (await Post.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
  const item = `/api/posts/${String(p!._id)}/`;
  for (const answer of [1, 'yes', {}, undefined, null, Promise.resolve('true')]) {
    const hook = () => answer as unknown as boolean;
    const { as } = serve(postView(Post, { hasAddPermission: hook, hasChangePermission: hook, hasDeletePermission: hook }));
    const alice = as('alice');
    for (const response of [
      await alice.post('/api/posts/').send({ title: 'new' }),
      await alice.put(item).send({ title: 'changed' }),
      await alice.put('/api/posts/?title=p').send({ title: 'changed' }),
      await alice.delete(item),
    ]) {
      t.deepEqual([response.status, response.body], [403, forbidden], String(answer));
    }
  }
  t.deepEqual((await stored(Post)).map((post) => post.title), ['p']);
});

test('write hooks answering with thenables that are not native promises are waited for: true allows, anything else refuses', async (t) => {
  /** A promise library's thenable, settling on a later turn. */
  const thenable = (settle: (resolve: (value: unknown) => void, reject: (error: unknown) => void) => void) =>
    ({ then: (resolve: (value: unknown) => unknown, reject: (error: unknown) => unknown) => setImmediate(() => settle(resolve, reject)) }) as unknown as Promise<boolean>;
  const cases: [string, () => Promise<boolean>, number][] = [
    ['true', () => thenable((resolve) => resolve(true)), 0],
    ['false', () => thenable((resolve) => resolve(false)), 403],
    ['a rejection', () => thenable((_resolve, reject) => reject(new Error('hook failed'))), 500],
  ];
  for (const [name, hook, refusal] of cases) {
    const Post = freshModel();
    const [p] = (await Post.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
    const item = `/api/posts/${String(p!._id)}/`;
    const { as } = serve(postView(Post, { hasAddPermission: hook, hasChangePermission: hook, hasDeletePermission: hook }));
    const alice = as('alice');
    const created = await alice.post('/api/posts/').send({ title: 'new' });
    const updated = await alice.put(item).send({ title: 'changed' });
    const deleted = await alice.delete(item);
    if (refusal === 0) {
      t.deepEqual([created.status, updated.status, deleted.status], [201, 200, 204], name);
      t.deepEqual((await stored(Post)).map((post) => post.title), ['new'], name);
    } else {
      for (const response of [created, updated, deleted]) t.deepEqual([response.status, response.body], [refusal, refusal === 403 ? forbidden : internal], name);
      t.deepEqual((await stored(Post)).map((post) => post.title), ['p'], name);
    }
  }
});

// ---- hasChangePermission / hasDeletePermission -----------------------------------------------------

test('hasChangePermission sees the stored state before the change; a refusal is 403 and nothing is written', async (t) => {
  const Post = freshModel();
  const [draft, published] = (await Post.create([
    { title: 'draft', owner: 'alice' },
    { title: 'published', owner: 'alice', is_published: true },
  ])) as AnyDocument[];
  const seen: Array<{ title: string; published: boolean; modified: string[] }> = [];
  const { as } = serve(
    postView(Post, {
      hasChangePermission(_ctx: RequestContext, doc: AnyDocument) {
        seen.push({ title: doc.title, published: doc.is_published, modified: doc.modifiedPaths() });
        return !doc.is_published;
      },
    }),
  );
  const alice = as('alice');

  const changed = await alice.put(`/api/posts/${String(draft!._id)}/`).send({ title: 'draft v2', published: true });
  t.is(changed.status, 200);
  t.like(changed.body, { title: 'draft v2', published: true });
  // The request un-publishes, but the stored document is published: refused on the stored state.
  const refused = await alice.put(`/api/posts/${String(published!._id)}/`).send({ title: 'edited', published: false });
  t.deepEqual([refused.status, refused.body], [403, forbidden]);
  t.deepEqual(seen, [
    { title: 'draft', published: false, modified: [] },
    { title: 'published', published: true, modified: [] },
  ]);
  t.deepEqual(
    (await stored(Post)).map((post) => [post.title, post.is_published]),
    [['draft v2', true], ['published', true]],
  );
});

test('hasDeletePermission sees the stored document; a refusal is 403 and the document stays', async (t) => {
  const Post = freshModel();
  const [keep, drop] = (await Post.create([
    { title: 'keep', owner: 'alice', is_published: true },
    { title: 'drop', owner: 'alice' },
  ])) as AnyDocument[];
  const seen: string[] = [];
  const { as } = serve(
    postView(Post, {
      hasDeletePermission(_ctx: RequestContext, doc: AnyDocument) {
        seen.push(doc.title);
        return !doc.is_published;
      },
    }),
  );
  const refused = await as('alice').delete(`/api/posts/${String(keep!._id)}/`);
  t.deepEqual([refused.status, refused.body], [403, forbidden]);
  const removed = await as('alice').delete(`/api/posts/${String(drop!._id)}/`);
  t.is(removed.status, 204);
  t.is(removed.text, '');
  t.deepEqual(seen, ['keep', 'drop']);
  t.deepEqual((await stored(Post)).map((post) => post.title), ['keep']);
});

test('bulk update: every match goes through hasChangePermission on its stored state; one refusal refuses the whole request, nothing written', async (t) => {
  const Post = freshModel();
  await Post.create([
    { title: 'bulk', owner: 'alice' },
    { title: 'bulk', owner: 'alice', is_published: true },
    { title: 'bulk', owner: 'alice' },
    { title: 'other', owner: 'alice' },
  ]);
  // The hook reads view state through `this`: hooks are called as methods of the view.
  const lock = { on: true, checked: 0 };
  class LockingView extends postView(Post, {}) {
    lock = lock;
    override hasChangePermission(_ctx: RequestContext, doc: AnyDocument): boolean {
      this.lock.checked += 1;
      return !(this.lock.on && doc.is_published);
    }
  }
  const errors: unknown[] = [];
  const api = new TestMongoRest({ onError: (error) => errors.push(error) });
  api.register(LockingView, { url: '/posts/' });
  const app = new Koa().use(api.routes()).use(api.allowedMethods());
  const put = () => request(app.callback()).put('/posts/?title=bulk').set('X-API-Key', 'alice-key').send({ views: 7 });

  const refused = await put();
  t.deepEqual([refused.status, refused.body], [403, forbidden]);
  t.true(lock.checked >= 1 && lock.checked <= 3, 'stops at the refused document, before any write');
  t.deepEqual(errors, []);
  t.deepEqual((await stored(Post)).map((post) => post.views), [0, 0, 0, 0]);

  const invalid = await request(app.callback()).put('/posts/?title=other').set('X-API-Key', 'alice-key').send({ views: -5 });
  t.is(invalid.status, 400);

  lock.on = false;
  const accepted = await put();
  t.deepEqual([accepted.status, accepted.body], [200, { count: 3 }]);
  t.deepEqual((await stored(Post)).map((post) => [post.title, post.views]), [['bulk', 7], ['bulk', 7], ['bulk', 7], ['other', 0]]);
});

test('add, change and delete hooks that throw answer 500 and write nothing', async (t) => {
  const Post = freshModel();
  const [p] = (await Post.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
  const item = `/api/posts/${String(p!._id)}/`;
  const boom = (): boolean => {
    throw new Error('hook bug');
  };
  const { as, errors } = serve(postView(Post, { hasAddPermission: boom, hasChangePermission: boom, hasDeletePermission: boom }));
  const alice = as('alice');
  for (const response of [
    await alice.post('/api/posts/').send({ title: 'new' }),
    await alice.put(item).send({ title: 'changed' }),
    await alice.put('/api/posts/?title=p').send({ title: 'changed' }),
    await alice.delete(item),
  ]) {
    t.deepEqual([response.status, response.body], [500, internal]);
  }
  t.is(errors.length, 4);
  t.deepEqual((await stored(Post)).map((post) => post.title), ['p']);
});

// ---- docs/auth.md ----------------------------------------------------------------------------------

test('docs/auth.md: owner-only access', async (t) => {
  const Note = database().connection.model('Note', new mongoose.Schema({ text: String, owner: String }));
  const bearer = new BearerAuthentication({ tokens: { 'tok-alice': { id: 'alice' }, 'tok-bob': { id: 'bob' } } });

  class NoteResource extends Resource {
    document = Note; // { text: String, owner: String }
    override createObject(ctx: RequestContext, data: PlainDocument) {
      return super.createObject(ctx, { ...data, owner: ctx.state.user.id });
    }
    override applyChanges(doc: AnyDocument, data: PlainDocument) {
      const { owner: _ignored, ...changes } = data; // an owner in the body is ignored
      super.applyChanges(doc, changes);
    }
  }

  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
    override authenticationMethods = [bearer];
    override hasReadPermission(ctx: RequestContext, query: AnyQuery) {
      return query.where({ owner: ctx.state.user.id });
    }
  }

  const api = new TestMongoRest();
  api.register(NoteView, { url: '/notes/' });
  const server = new Koa().use(api.routes()).use(api.allowedMethods()).callback();
  const as = (who: string) => `Bearer tok-${who}`;

  const created = await request(server).post('/notes/').set('Authorization', as('alice')).send({ text: 'a1', owner: 'bob' });
  t.is(created.status, 201);
  t.like(created.body, { text: 'a1', owner: 'alice' });
  await request(server).post('/notes/').set('Authorization', as('alice')).send({ text: 'a2' });
  const bobs = await request(server).post('/notes/').set('Authorization', as('bob')).send({ text: 'b1' });
  const bobItem = `/notes/${String(bobs.body.id)}/`;

  const listed = await request(server).get('/notes/?_count=1').set('Authorization', as('alice'));
  t.deepEqual(listed.body.data.map((note: PlainDocument) => note.text).sort(), ['a1', 'a2']);
  t.is(listed.body.total, 2);
  for (const response of [
    await request(server).get(bobItem).set('Authorization', as('alice')),
    await request(server).put(bobItem).set('Authorization', as('alice')).send({ text: 'mine now' }),
    await request(server).delete(bobItem).set('Authorization', as('alice')),
  ]) {
    t.deepEqual([response.status, response.body], [404, notFound]);
  }
  const moved = await request(server).put(`/notes/${String(created.body.id)}/`).set('Authorization', as('alice')).send({ text: 'a1!', owner: 'bob' });
  t.like(moved.body, { text: 'a1!', owner: 'alice' });
  const bulk = await request(server).put('/notes/').set('Authorization', as('alice')).send({ text: 'all mine' });
  t.deepEqual(bulk.body, { count: 2 });

  const notes = (await Note.find().sort({ owner: 1, text: 1 }).lean()) as Array<{ text: string; owner: string }>;
  t.deepEqual(notes.map((note) => [note.owner, note.text]), [['alice', 'all mine'], ['alice', 'all mine'], ['bob', 'b1']]);
});
