/**
 * Permission hooks on the Resource (issue 10, item 3): a tenant rule declared on a resource holds
 * wherever its documents are read or written — as the resource a view serves (composed with the view's
 * hooks: both narrow, both must allow), as a related resource on output (outside the scope = dangling),
 * in reference checks (outside the scope = "No document with id", no existence oracle) and in nested
 * writes of `saveRelatedFields` (read scope, hasChangePermission, hasAddPermission). A small multi-user
 * app with Bearer users, each scoped to their own documents. Black-box, real database.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { useTestDatabase } from './fixtures/database.js';
import {
  BearerAuthentication,
  Resource,
  ResourceView,
  methods,
  ops,
  type AnyDocument,
  type AnyModel,
  type AnyQuery,
  type PermissionHooks,
  type PlainDocument,
  type RequestContext,
  type ResourceViewClass,
} from '../lib/index.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);
const { ObjectId } = mongoose.Schema.Types;

const bearer = new BearerAuthentication({
  tokens: { 'tok-alice': { id: 'alice' }, 'tok-bob': { id: 'bob' } },
});

const forbidden = { error: 'Forbidden' };
const notFound = { error: 'Not found' };
const internal = { error: 'Internal Server Error' };
const missing = (id: string) => `No document with id ${JSON.stringify(id)}.`;
const madeUpId = () => new mongoose.Types.ObjectId().toHexString();
const idOf = (doc: AnyDocument | PlainDocument) => String(doc._id);

interface Models {
  Account: AnyModel;
  List: AnyModel;
  Note: AnyModel;
}

let modelCount = 0;
/** Accounts and lists belong to a user; a note references one account, several accounts and one list. */
function freshModels(): Models {
  const n = ++modelCount;
  const connection = database().connection;
  const Account = connection.model(`RpAccount${n}`, new mongoose.Schema({ name: { type: String, required: true }, owner: String }));
  const List = connection.model(
    `RpList${n}`,
    new mongoose.Schema({ name: { type: String, required: true, maxlength: 20 }, owner: String, locked: { type: Boolean, default: false } }),
  );
  const Note = connection.model(
    `RpNote${n}`,
    new mongoose.Schema({
      text: String,
      owner: String,
      account: { type: ObjectId, ref: `RpAccount${n}` },
      accounts: [{ type: ObjectId, ref: `RpAccount${n}` }],
      list: { type: ObjectId, ref: `RpList${n}` },
    }),
  );
  return { Account, List, Note };
}

type Hooks = Partial<PermissionHooks>;

/** Each user reads only their own documents: the tenant rule, declared once on each Resource. */
function ownedBy(ctx: RequestContext, query: AnyQuery): AnyQuery {
  return query.where({ owner: ctx.state.user.id });
}

/**
 * The multi-user app. The tenant rules live on the resources; the views only route and authenticate.
 * `listHooks` replace or add hooks of ListResource (nested-write tests); `accountHooks` of AccountResource.
 */
function tenantApp(models: Models, options: { listHooks?: Hooks; accountHooks?: Hooks } = {}) {
  class AccountResource extends Resource {
    document = models.Account;
    fields = ['id', 'name'];
    override hasReadPermission(ctx: RequestContext, query: AnyQuery) {
      return ownedBy(ctx, query);
    }
  }
  Object.assign(AccountResource.prototype, options.accountHooks ?? {});
  class ListResource extends Resource {
    document = models.List;
    fields = ['id', 'name', 'owner'];
    override hasReadPermission(ctx: RequestContext, query: AnyQuery) {
      return ownedBy(ctx, query);
    }
    // A nested list is created for its owner only, and a locked list is never changed.
    override hasAddPermission(ctx: RequestContext, doc: AnyDocument) {
      return doc.owner === ctx.state.user.id;
    }
    override hasChangePermission(_ctx: RequestContext, doc: AnyDocument) {
      return doc.locked !== true;
    }
  }
  Object.assign(ListResource.prototype, options.listHooks ?? {});
  class NoteResource extends Resource {
    document = models.Note;
    fields = ['id', 'text', 'account', 'accounts', 'list'];
    relatedResources = { account: AccountResource, accounts: AccountResource, list: ListResource };
    saveRelatedFields = ['list'];
    filters = { text: [ops.Exact] };
    override hasReadPermission(ctx: RequestContext, query: AnyQuery) {
      return ownedBy(ctx, query);
    }
    override createObject(ctx: RequestContext, data: PlainDocument) {
      return super.createObject(ctx, { ...data, owner: ctx.state.user.id });
    }
  }
  class AccountView extends ResourceView {
    resource = AccountResource;
    methods = [methods.List, methods.Fetch];
    override authenticationMethods = [bearer];
  }
  class ListView extends ResourceView {
    resource = ListResource;
    methods = [methods.List, methods.Fetch];
    override authenticationMethods = [bearer];
  }
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
    override authenticationMethods = [bearer];
  }
  const errors: unknown[] = [];
  const api = new TestMongoRest({ onError: (error) => errors.push(error) });
  api.register(AccountView, { url: '/accounts/' });
  api.register(ListView, { url: '/lists/' });
  api.register(NoteView, { url: '/notes/' });
  const server = new Koa().use(api.routes()).use(api.allowedMethods()).callback();
  const as = (who: string) => {
    const auth = `Bearer tok-${who}`;
    return {
      get: (url: string) => request(server).get(url).set('Authorization', auth),
      post: (url: string, body: object) => request(server).post(url).set('Authorization', auth).send(body),
      put: (url: string, body: object) => request(server).put(url).set('Authorization', auth).send(body),
    };
  };
  return { as, errors };
}

async function notesOf(Note: AnyModel): Promise<PlainDocument[]> {
  return (await Note.find().sort({ text: 1 }).lean()) as PlainDocument[];
}

// ---- the attack of the issue: references ------------------------------------------------------------

test('a reference to a document the reader may not see is refused exactly like a made-up id (no existence oracle), on create, update and bulk update', async (t) => {
  const models = freshModels();
  const [mine, theirs] = (await models.Account.create([
    { name: 'alice main', owner: 'alice' },
    { name: 'bob secret', owner: 'bob' },
  ])) as AnyDocument[];
  const { as } = tenantApp(models);
  const alice = as('alice');
  const their = idOf(theirs!);
  const madeUp = madeUpId();

  t.deepEqual([(await alice.get(`/accounts/${their}/`)).status, (await alice.get(`/accounts/${their}/`)).body], [404, notFound]);
  t.is((await as('bob').get(`/accounts/${their}/`)).status, 200);

  const stolen = await alice.post('/notes/', { text: 'steal', account: their });
  const invented = await alice.post('/notes/', { text: 'steal', account: madeUp });
  t.deepEqual([stolen.status, stolen.body], [400, { 'field-errors': { account: missing(their) } }]);
  t.deepEqual([invented.status, invented.body], [400, { 'field-errors': { account: missing(madeUp) } }]);
  t.deepEqual(stolen.headers['content-type'], invented.headers['content-type']);

  const inArray = await alice.post('/notes/', { text: 'steal', accounts: [idOf(mine!), their, madeUp] });
  t.deepEqual([inArray.status, inArray.body], [400, { 'field-errors': { 'accounts.1': missing(their), 'accounts.2': missing(madeUp) } }]);
  // The nested object GET outputs stands for its id: the same check.
  const asObject = await alice.post('/notes/', { text: 'steal', account: { id: their, name: 'x' } });
  t.deepEqual([asObject.status, asObject.body], [400, { 'field-errors': { account: missing(their) } }]);

  const own = await alice.post('/notes/', { text: 'own', account: idOf(mine!) });
  t.is(own.status, 201);
  t.deepEqual(own.body.account, { id: idOf(mine!), name: 'alice main' });

  const update = await alice.put(`/notes/${String(own.body.id)}/`, { account: their });
  t.deepEqual([update.status, update.body], [400, { 'field-errors': { account: missing(their) } }]);
  const bulk = await alice.put('/notes/?text=own', { account: their });
  t.deepEqual([bulk.status, bulk.body], [400, { 'field-errors': { account: missing(their) } }]);

  const notes = await notesOf(models.Note);
  t.deepEqual(notes.map((note) => [note.text, String(note.account)]), [['own', idOf(mine!)]]);
});

test('on output a related document outside the reader\'s scope is dropped exactly like a dangling reference (null, left out of lists)', async (t) => {
  const models = freshModels();
  const [mine, theirs] = (await models.Account.create([
    { name: 'alice main', owner: 'alice' },
    { name: 'bob secret', owner: 'bob' },
  ])) as AnyDocument[];
  const [theirList] = (await models.List.create([{ name: 'bob list', owner: 'bob' }])) as AnyDocument[];
  const gone = new mongoose.Types.ObjectId();
  // Stored before the rules existed (or by another path): alice's notes pointing at bob's documents.
  const [leaky, dangling] = (await models.Note.create([
    { text: 'leaky', owner: 'alice', account: theirs!._id, accounts: [theirs!._id, mine!._id, theirs!._id], list: theirList!._id },
    { text: 'dangling', owner: 'alice', account: gone, accounts: [gone, mine!._id, gone], list: new mongoose.Types.ObjectId() },
  ])) as AnyDocument[];
  const { as } = tenantApp(models);
  const alice = as('alice');
  const mineOut = { id: idOf(mine!), name: 'alice main' };

  const fetched = await alice.get(`/notes/${idOf(leaky!)}/`);
  t.is(fetched.status, 200);
  t.deepEqual(fetched.body, { id: idOf(leaky!), text: 'leaky', account: null, accounts: [mineOut], list: null });
  const danglingOut = await alice.get(`/notes/${idOf(dangling!)}/`);
  t.deepEqual(danglingOut.body, { id: idOf(dangling!), text: 'dangling', account: null, accounts: [mineOut], list: null });

  const listed = await alice.get('/notes/');
  t.deepEqual(
    listed.body.data.map((note: PlainDocument) => [note.text, note.account, note.accounts, note.list]).sort(),
    [
      ['dangling', null, [mineOut], null],
      ['leaky', null, [mineOut], null],
    ],
  );
  // Bob's documents themselves are fine for bob.
  t.deepEqual((await as('bob').get(`/accounts/${idOf(theirs!)}/`)).body, { id: idOf(theirs!), name: 'bob secret' });
});

// ---- the attack of the issue: saveRelatedFields ------------------------------------------------------

test('saveRelatedFields cannot update (or reference) a nested document outside the reader\'s scope: the same 400 as a made-up id, nothing written', async (t) => {
  const models = freshModels();
  const [theirList, myList] = (await models.List.create([
    { name: 'groceries', owner: 'bob' },
    { name: 'mine', owner: 'alice' },
  ])) as AnyDocument[];
  const [note] = (await models.Note.create([{ text: 'n', owner: 'alice', list: myList!._id }])) as AnyDocument[];
  const { as } = tenantApp(models);
  const alice = as('alice');
  const their = idOf(theirList!);
  const madeUp = madeUpId();

  t.is((await alice.get(`/lists/${their}/`)).status, 404);
  for (const [method, url] of [
    ['post', '/notes/'],
    ['put', `/notes/${idOf(note!)}/`],
  ] as const) {
    const rewrite = await alice[method](url, { text: 'x', list: { id: their, name: 'x' } });
    const invented = await alice[method](url, { text: 'x', list: { id: madeUp, name: 'x' } });
    t.deepEqual([rewrite.status, rewrite.body], [400, { 'field-errors': { list: missing(their) } }], `${method} rewrite`);
    t.deepEqual([invented.status, invented.body], [400, { 'field-errors': { list: missing(madeUp) } }], `${method} made-up`);
    const bare = await alice[method](url, { text: 'x', list: their });
    t.deepEqual([bare.status, bare.body], [400, { 'field-errors': { list: missing(their) } }], `${method} bare id`);
  }

  const lists = (await models.List.find().sort({ name: 1 }).lean()) as PlainDocument[];
  t.deepEqual(lists.map((list) => [list.name, list.owner]), [['groceries', 'bob'], ['mine', 'alice']]);
  const notes = await notesOf(models.Note);
  t.deepEqual(notes.map((stored) => [stored.text, String(stored.list)]), [['n', idOf(myList!)]]);

  // Her own list she may rename through the note.
  const renamed = await alice.put(`/notes/${idOf(note!)}/`, { list: { id: idOf(myList!), name: 'mine v2' } });
  t.is(renamed.status, 200);
  t.deepEqual(renamed.body.list, { id: idOf(myList!), name: 'mine v2', owner: 'alice' });
});

test('nested writes go through the related resource\'s hasChangePermission (stored state) and hasAddPermission (built, validated): 403, nothing written', async (t) => {
  const models = freshModels();
  const [locked, open] = (await models.List.create([
    { name: 'locked', owner: 'alice', locked: true },
    { name: 'open', owner: 'alice' },
  ])) as AnyDocument[];
  const [note] = (await models.Note.create([{ text: 'n', owner: 'alice', list: open!._id }])) as AnyDocument[];
  const { as } = tenantApp(models);
  const alice = as('alice');
  const item = `/notes/${idOf(note!)}/`;

  const change = await alice.put(item, { text: 'changed', list: { id: idOf(locked!), name: 'unlocked?' } });
  t.deepEqual([change.status, change.body], [403, forbidden]);
  const createForBob = await alice.post('/notes/', { text: 'new', list: { name: 'for bob', owner: 'bob' } });
  t.deepEqual([createForBob.status, createForBob.body], [403, forbidden]);
  const createUnowned = await alice.put(item, { text: 'changed', list: { name: 'unowned' } });
  t.deepEqual([createUnowned.status, createUnowned.body], [403, forbidden]);
  // An invalid nested document never reaches hasAddPermission: 400, like the parent's.
  const invalid = await alice.post('/notes/', { text: 'new', list: { name: 'x'.repeat(21) } });
  t.is(invalid.status, 400);
  t.deepEqual(Object.keys(invalid.body['field-errors']), ['list.name']);

  t.deepEqual(
    ((await models.List.find().sort({ name: 1 }).lean()) as PlainDocument[]).map((list) => list.name),
    ['locked', 'open'],
  );
  t.deepEqual((await notesOf(models.Note)).map((stored) => [stored.text, String(stored.list)]), [['n', idOf(open!)]]);

  const created = await alice.post('/notes/', { text: 'new', list: { name: 'todo', owner: 'alice' } });
  t.is(created.status, 201);
  t.like(created.body.list, { name: 'todo', owner: 'alice' });
  const changed = await alice.put(item, { list: { id: idOf(open!), name: 'open v2' } });
  t.is(changed.status, 200);
  t.like(changed.body.list, { id: idOf(open!), name: 'open v2' });
});

// ---- composition with the view's hooks --------------------------------------------------------------

interface DocShape {
  title: string;
  owner: string;
  archived: boolean;
}

function composedApp(resourceHooks: Hooks, viewHooks: Hooks) {
  const Doc = database().connection.model(
    `RpDoc${++modelCount}`,
    new mongoose.Schema({ title: { type: String, required: true }, owner: String, archived: { type: Boolean, default: false } }),
  );
  class DocResource extends Resource {
    document = Doc;
    fields = ['id', 'title', 'owner', 'archived'];
    filters = { title: [ops.Exact], owner: [ops.Exact] };
  }
  Object.assign(DocResource.prototype, resourceHooks);
  class DocView extends ResourceView {
    resource = DocResource;
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
    override authenticationMethods = [bearer];
  }
  Object.assign(DocView.prototype, viewHooks);
  const errors: unknown[] = [];
  const api = new TestMongoRest({ onError: (error) => errors.push(error) });
  api.register(DocView as ResourceViewClass, { url: '/docs/' });
  const server = new Koa().use(api.routes()).use(api.allowedMethods()).callback();
  const auth = (who: string) => `Bearer tok-${who}`;
  const as = (who: string) => ({
    get: (url: string) => request(server).get(url).set('Authorization', auth(who)),
    post: (url: string, body: object) => request(server).post(url).set('Authorization', auth(who)).send(body),
    put: (url: string, body: object) => request(server).put(url).set('Authorization', auth(who)).send(body),
    patch: (url: string, body: object) =>
      request(server).patch(url).set('Authorization', auth(who)).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify(body)),
    delete: (url: string) => request(server).delete(url).set('Authorization', auth(who)),
  });
  const stored = async () => ((await Doc.find().sort({ title: 1, owner: 1 }).lean()) as unknown as DocShape[]).map((doc) => [doc.title, doc.owner, doc.archived]);
  return { Doc, as, errors, stored };
}

test('reads: the resource\'s hasReadPermission runs first, the view\'s narrows further; the view cannot undo the resource\'s condition', async (t) => {
  const seenByView: Record<string, unknown>[] = [];
  const resourceHooks: Hooks = { hasReadPermission: ownedBy };
  const views: Hooks[] = [
    {
      hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
        seenByView.push({ ...query.getFilter() });
        return query.where({ archived: false });
      },
    },
    // A `where` on the key the resource set would replace its condition: it must still hold.
    {
      hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
        return query.where({ owner: { $ne: 'nobody' }, archived: false });
      },
    },
  ];
  for (const viewHooks of views) {
    const { Doc, as } = composedApp(resourceHooks, viewHooks);
    const [, archived, theirs] = (await Doc.create([
      { title: 'live', owner: 'alice' },
      { title: 'old', owner: 'alice', archived: true },
      { title: 'live', owner: 'bob' },
    ])) as AnyDocument[];
    const alice = as('alice');
    const listed = await alice.get('/docs/?_count=1');
    t.deepEqual(
      listed.body.data.map((doc: PlainDocument) => [doc.title, doc.owner]),
      [['live', 'alice']],
    );
    t.is(listed.body.total, 1);
    t.deepEqual((await alice.get('/docs/?owner=bob')).body, { data: [], has_more: false });
    for (const doc of [archived!, theirs!]) {
      t.deepEqual((await alice.get(`/docs/${idOf(doc)}/`)).status, 404);
      t.deepEqual((await alice.put(`/docs/${idOf(doc)}/`, { title: 'taken' })).status, 404);
      t.deepEqual((await alice.delete(`/docs/${idOf(doc)}/`)).status, 404);
    }
    t.deepEqual((await alice.put('/docs/?title=live', { title: 'bulk' })).body, { count: 1 });
  }
  t.true(seenByView.length > 0);
  for (const filter of seenByView) t.is(filter.owner, 'alice', 'the view sees the query already narrowed by the resource');
});

test('writes: the resource\'s and the view\'s add/change/delete hooks must both allow; either refusing is 403 and nothing is written', async (t) => {
  const refuse = () => false;
  const allow = () => true;
  const cases: Array<[string, Hooks, Hooks]> = [
    ['resource refuses', { hasAddPermission: refuse, hasChangePermission: refuse, hasDeletePermission: refuse }, { hasAddPermission: allow, hasChangePermission: allow, hasDeletePermission: allow }],
    ['view refuses', { hasAddPermission: allow, hasChangePermission: allow, hasDeletePermission: allow }, { hasAddPermission: refuse, hasChangePermission: refuse, hasDeletePermission: refuse }],
    ['resource refuses (view default)', { hasAddPermission: refuse, hasChangePermission: refuse, hasDeletePermission: refuse }, {}],
  ];
  for (const [label, resourceHooks, viewHooks] of cases) {
    const { Doc, as, stored } = composedApp(resourceHooks, viewHooks);
    const [doc] = (await Doc.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
    const alice = as('alice');
    for (const response of [
      await alice.post('/docs/', { title: 'new' }),
      await alice.post('/docs/', [{ title: 'new' }, { title: 'newer' }]),
      await alice.put(`/docs/${idOf(doc!)}/`, { title: 'changed' }),
      await alice.patch(`/docs/${idOf(doc!)}/`, { title: 'changed' }),
      await alice.put('/docs/?title=p', { title: 'changed' }),
      await alice.delete(`/docs/${idOf(doc!)}/`),
      await alice.delete('/docs/?title=p'),
    ]) {
      t.deepEqual([response.status, response.body], [403, forbidden], label);
    }
    t.deepEqual(await stored(), [['p', 'alice', false]], label);
  }

  // Both allow (the resource's hook sees the document, `this` is the resource).
  const seen: string[] = [];
  const { Doc, as, stored } = composedApp(
    {
      hasAddPermission(this: Resource, _ctx: RequestContext, doc: AnyDocument) {
        seen.push(`add ${doc.title} ${this.meta.name}`);
        return true;
      },
      hasChangePermission(_ctx: RequestContext, doc: AnyDocument) {
        seen.push(`change ${doc.title}`);
        return true;
      },
      hasDeletePermission(_ctx: RequestContext, doc: AnyDocument) {
        seen.push(`delete ${doc.title}`);
        return true;
      },
    },
    { hasAddPermission: allow, hasChangePermission: allow, hasDeletePermission: allow },
  );
  const [doc] = (await Doc.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
  const alice = as('alice');
  t.is((await alice.post('/docs/', { title: 'new' })).status, 201);
  t.is((await alice.put(`/docs/${idOf(doc!)}/`, { title: 'q' })).status, 200);
  t.is((await alice.delete(`/docs/${idOf(doc!)}/`)).status, 204);
  t.deepEqual(seen, ['add new DocResource', 'change p', 'delete q']);
  t.deepEqual(await stored(), [['new', undefined, false]]);
});

// ---- fail closed ------------------------------------------------------------------------------------

test('resource write hooks are fail closed: only a literal true allows, a throw is 500; nothing written', async (t) => {
  for (const answer of [1, 'yes', {}, undefined, null, Promise.resolve('true')]) {
    const hook = () => answer as unknown as boolean;
    const { Doc, as, stored } = composedApp({ hasAddPermission: hook, hasChangePermission: hook, hasDeletePermission: hook }, {});
    const [doc] = (await Doc.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
    const alice = as('alice');
    for (const response of [
      await alice.post('/docs/', { title: 'new' }),
      await alice.put(`/docs/${idOf(doc!)}/`, { title: 'changed' }),
      await alice.put('/docs/?title=p', { title: 'changed' }),
      await alice.delete(`/docs/${idOf(doc!)}/`),
    ]) {
      t.deepEqual([response.status, response.body], [403, forbidden], String(answer));
    }
    t.deepEqual(await stored(), [['p', 'alice', false]]);
  }
  const boom = (): boolean => {
    throw new Error('policy bug');
  };
  const { Doc, as, errors, stored } = composedApp({ hasAddPermission: boom, hasChangePermission: boom, hasDeletePermission: boom }, {});
  const [doc] = (await Doc.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
  const alice = as('alice');
  for (const response of [
    await alice.post('/docs/', { title: 'new' }),
    await alice.put(`/docs/${idOf(doc!)}/`, { title: 'changed' }),
    await alice.delete(`/docs/${idOf(doc!)}/`),
  ]) {
    t.deepEqual([response.status, response.body], [500, internal]);
  }
  t.is(errors.length, 3);
  t.deepEqual(await stored(), [['p', 'alice', false]]);
});

test('a resource hasReadPermission that throws or returns anything but the query is 500 everywhere it applies: main resource, related output, reference check, nested write', async (t) => {
  const answers: Array<(query: AnyQuery) => unknown> = [
    () => {
      throw new Error('policy service down');
    },
    () => null,
    () => undefined,
    () => ({ owner: 'alice' }),
    (query) => query.exec(),
  ];
  for (const answer of answers) {
    const bad = { hasReadPermission: ((_ctx: RequestContext, query: AnyQuery) => answer(query)) as Resource['hasReadPermission'] };
    // As the main resource.
    const composed = composedApp(bad, {});
    const [doc] = (await composed.Doc.create([{ title: 'p', owner: 'alice' }])) as AnyDocument[];
    const alice = composed.as('alice');
    for (const response of [
      await alice.get('/docs/'),
      await alice.get(`/docs/${idOf(doc!)}/`),
      await alice.put(`/docs/${idOf(doc!)}/`, { title: 'changed' }),
      await alice.delete(`/docs/${idOf(doc!)}/`),
    ]) {
      t.deepEqual([response.status, response.body], [500, internal]);
    }
    t.deepEqual(await composed.stored(), [['p', 'alice', false]]);

    // As a related resource: output, reference checks and nested writes.
    const models = freshModels();
    const [account] = (await models.Account.create([{ name: 'a', owner: 'alice' }])) as AnyDocument[];
    const [list] = (await models.List.create([{ name: 'l', owner: 'alice' }])) as AnyDocument[];
    const [note] = (await models.Note.create([{ text: 'n', owner: 'alice', account: account!._id }])) as AnyDocument[];
    const tenant = tenantApp(models, { accountHooks: bad, listHooks: bad });
    const user = tenant.as('alice');
    for (const response of [
      await user.get(`/notes/${idOf(note!)}/`),
      await user.post('/notes/', { text: 'x', account: idOf(account!) }),
      await user.put(`/notes/${idOf(note!)}/`, { list: { id: idOf(list!), name: 'changed' } }),
    ]) {
      t.deepEqual([response.status, response.body], [500, internal]);
    }
    t.deepEqual((await notesOf(models.Note)).map((stored) => stored.text), ['n']);
    t.deepEqual(((await models.List.find().lean()) as PlainDocument[]).map((stored) => stored.name), ['l']);
  }
});
