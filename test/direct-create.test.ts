/**
 * POST without `save()` (issue 15, lib/direct-create/): where a resource allows it, the validated document
 * is inserted with one `insertOne` of what `save()` would insert. It must be indistinguishable from
 * `save()`: every body of the table below is sent once through a view whose resource inserts directly
 * and once through one that saves (`directCreates = false`), and the answers (status, body, Location,
 * ETag) and the stored documents (keys and their order, defaults, timestamps, version) must be the same.
 * Which path ran is seen by counting `save()` calls of each model; anything `save()` would run that the
 * direct insert does not (middleware of the app, listeners, overridden methods, sub-documents,
 * discriminators, sharding, optimistic concurrency) takes `save()`. The existence check of plain `ref`
 * ids (checkReferences) reads straight from the collection where no Query middleware could tell.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type AnyDocument, type AnyModel, type PlainDocument, type RequestContext, type ResourceClass } from '../lib/index.js';
import { countQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const FIXED_TIME = new Date('2030-01-02T03:04:05.000Z');

function noteFields() {
  return {
    tag: String,
    title: { type: String, required: true, maxlength: 40, trim: true },
    status: { type: String, enum: ['draft', 'published'], default: 'draft' },
    score: { type: Number, min: 0, default: 0 },
    tags: { type: [String], default: [] },
    seen: [Date],
    owner: { type: mongoose.Schema.Types.ObjectId, ref: 'CreateOwner' },
    done: Boolean,
    code: { type: String, unique: true, sparse: true },
    created: { type: Date, default: () => new Date('2020-05-06T07:08:09.000Z') },
  };
}

/** Counts `save()` calls of a model's documents (the direct insert makes none). */
function countSaves(model: AnyModel): { count: number } {
  const counter = { count: 0 };
  const prototype = model.prototype as unknown as { save: (...args: unknown[]) => unknown };
  const save = prototype.save;
  prototype.save = function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return save.apply(this, args);
  };
  return counter;
}


async function build(connection: Connection) {
  const Owner = connection.model('CreateOwner', new mongoose.Schema({ name: String }));
  const HookedOwner = connection.model('CreateHookedOwner', new mongoose.Schema({ name: String }).pre('find', function () {
    // Query middleware of the app: hides owners named "hidden" from every find, the existence check's included.
    this.where({ name: { $ne: 'hidden' } });
  }));
  const schema = (extra: object = {}, options: mongoose.SchemaOptions = {}) => new mongoose.Schema({ ...noteFields(), ...extra }, { timestamps: true, ...options });
  const models = {
    Note: connection.model('CreateNote', schema()),
    // pre('save') middleware of the app.
    Hooked: connection.model('CreateHooked', schema().pre('save', function () {
      this.set('tags', [...(this.get('tags') as string[]), 'saved']);
    })),
    // validate middleware: it runs inside validateDocument on both paths.
    Validated: connection.model('CreateValidated', schema().pre('validate', function () {
      this.set('status', this.get('score') > 10 ? 'published' : 'draft');
    })),
    Listened: connection.model('CreateListened', schema()),
    ListenedIsNew: connection.model('CreateListenedIsNew', schema()),
    Optimistic: connection.model('CreateOptimistic', schema({}, { optimisticConcurrency: true })),
    Sharded: connection.model('CreateSharded', schema({}, { shardKey: { tag: 1 } })),
    Nested: connection.model('CreateNested', schema({ meta: { color: String, size: Number } })),
    WithSubdocs: connection.model('CreateWithSubdocs', schema({ parts: [new mongoose.Schema({ label: String })] })),
    Clocked: connection.model('CreateClocked', schema({}, { timestamps: { createdAt: 'made', updatedAt: false, currentTime: () => FIXED_TIME } })),
    DottedTimes: connection.model('CreateDottedTimes', schema({}, { timestamps: { createdAt: 'times.made', updatedAt: 'times.changed' } })),
    Unversioned: connection.model('CreateUnversioned', schema({}, { versionKey: false, timestamps: false })),
    Renamed: connection.model('CreateRenamed', schema({}, { versionKey: 'rev' })),
    Animal: connection.model('CreateAnimal', schema()),
    // Array items with a getter: the answer save()'s path builds shows them through it.
    Shouted: connection.model('CreateShouted', schema({ words: [{ type: String, get: (word: string) => word.toUpperCase() }] })),
    // A plain ref to a model with find middleware of the app (the existence check must run it).
    KeptBy: connection.model('CreateKeptBy', schema({ keeper: { type: mongoose.Schema.Types.ObjectId, ref: 'CreateHookedOwner' } })),
  };
  const Dog = models.Animal.discriminator('CreateDog', new mongoose.Schema({ barks: Boolean }));
  // Indexes built before anything is counted.
  await Promise.all([...Object.values(models), Owner, HookedOwner].map((model) => model.init()));
  const ownerId = String((await Owner.create({ name: 'Ann' }))._id);
  await HookedOwner.create({ name: 'hidden' });
  const saves = new Map<string, { count: number }>();
  for (const model of [...Object.values(models), Dog]) saves.set(model.modelName, countSaves(model));
  const listened: unknown[] = [];
  models.Listened.on('save', (doc: unknown) => listened.push(doc));
  models.ListenedIsNew.on('isNew', (isNew: unknown) => listened.push(isNew));

  const resourceOf = (model: AnyModel, options: { direct?: boolean; related?: boolean } = {}): ResourceClass => {
    class NoteResource extends Resource {
      document = model;
      override renameFields = { score: 'points' };
      override directCreates = options.direct ?? true;
    }
    return NoteResource;
  };
  class NoteResource extends Resource {
    document = models.Note;
    override renameFields = { score: 'points' };
  }
  class WithSaveResource extends NoteResource {
    override directCreates = false;
  }
  class GuardedResource extends NoteResource {
    override hasAddPermission(ctx: RequestContext, doc: AnyDocument) {
      return doc.get('status') !== 'published' || ctx.get('X-Editor') === 'yes';
    }
  }
  const calls: string[] = [];
  class OwnCreateResource extends NoteResource {
    override async createObject(ctx: RequestContext, data: PlainDocument) {
      calls.push('createObject');
      return super.createObject(ctx, data);
    }
  }
  class OwnValidateResource extends NoteResource {
    override async validateDocument(doc: AnyDocument) {
      calls.push('validateDocument');
      return super.validateDocument(doc);
    }
  }
  class OwnSaveResource extends NoteResource {
    override async saveDocument(doc: AnyDocument) {
      calls.push('saveDocument');
      return super.saveDocument(doc);
    }
  }
  const routes: Record<string, ResourceClass> = {
    direct: NoteResource,
    'with-save': WithSaveResource,
    guarded: GuardedResource,
    'own-create': OwnCreateResource,
    'own-validate': OwnValidateResource,
    'own-save': OwnSaveResource,
  };
  for (const [name, model] of Object.entries({ ...models, Dog })) {
    routes[name] = resourceOf(model);
    routes[`${name}-with-save`] = resourceOf(model, { direct: false });
  }
  const api = new TestMongoRest({ idempotency: true });
  for (const [url, resource] of Object.entries(routes)) {
    class View extends ResourceView {
      resource = resource;
      methods = [methods.Create, methods.BulkCreate, methods.Fetch];
    }
    api.register(View, { url: `/${url}/`, name: url });
  }
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, models, Dog, Owner, HookedOwner, ownerId, saves, listened, calls };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);
const savesOf = (modelName: string) => env().saves.get(modelName)!.count;

/** What `send` did: the response and the number of `save()` calls of `modelName`'s documents. */
async function counted(modelName: string, send: () => Promise<request.Response>): Promise<{ response: request.Response; saved: number }> {
  const before = savesOf(modelName);
  const response = await send();
  return { response, saved: savesOf(modelName) - before };
}

/** A stored document as the raw driver reads it: its keys in order, and its values without what differs by nature. */
async function storedShape(model: AnyModel, id: unknown) {
  const stored = (await model.collection.findOne({ _id: new mongoose.Types.ObjectId(String(id)) })) as Record<string, unknown> | null;
  if (!stored) return null;
  const { _id, createdAt, updatedAt, ...rest } = stored;
  return {
    keys: Object.keys(stored),
    ...rest,
    idType: (_id as { _bsontype?: string })._bsontype,
    stamped: createdAt instanceof Date && updatedAt instanceof Date && createdAt.getTime() === updatedAt.getTime() && Math.abs(createdAt.getTime() - Date.now()) < 60_000,
  };
}

/** An answer without what differs by nature (the id, the times), keeping whether they are there. */
function answerShape(response: request.Response) {
  const { id, createdAt, updatedAt, ...rest } = response.body as Record<string, unknown>;
  return { ...rest, hasId: typeof id === 'string', stamped: typeof createdAt === 'string' && createdAt === updatedAt };
}

/** Everything an answer of a create says: status, body, Location (and that it is the item's), ETag (that of the item's GET). */
async function assertSameCreates(t: ExecutionContext, model: AnyModel, direct: request.Response, general: request.Response, base: { direct: string; general: string }) {
  t.is(direct.status, general.status, JSON.stringify(direct.body));
  if (general.status !== 201) {
    t.deepEqual(direct.body, general.body);
    return;
  }
  t.deepEqual(answerShape(direct), answerShape(general));
  for (const [response, url] of [[direct, base.direct], [general, base.general]] as const) {
    const id = (response.body as { id: string }).id;
    t.true(response.headers.location?.endsWith(`${url}${id}/`), response.headers.location);
    t.is(response.headers['content-type'], general.headers['content-type']);
    const fetched = await agent().get(`${url}${id}/`);
    t.is(fetched.status, 200);
    t.deepEqual(fetched.body, response.body);
    t.is(response.headers.etag, fetched.headers.etag);
  }
  t.deepEqual(await storedShape(model, (direct.body as { id: string }).id), await storedShape(model, (general.body as { id: string }).id));
}

const owner = () => env().ownerId;

/** Each body and the status both paths answer (the direct path inserts only what it validated). */
const table: { name: string; body: () => Record<string, unknown>; status: number }[] = [
  { name: 'every kind of value', body: () => ({ title: 'Full', points: 7, status: 'published', tags: ['x', 'y'], seen: ['2025-06-07T08:09:10.000Z'], owner: owner(), done: true, created: '2021-01-01T00:00:00.000Z' }), status: 201 },
  { name: 'only the required title (defaults filled)', body: () => ({ title: 'Minimal' }), status: 201 },
  { name: 'a trimmed string (Mongoose setter)', body: () => ({ title: '  padded  ' }), status: 201 },
  { name: 'explicit nulls', body: () => ({ title: 'Nulls', done: null, owner: null, seen: null }), status: 201 },
  { name: 'an empty array', body: () => ({ title: 'Empty', tags: [] }), status: 201 },
  { name: 'numbers as strings and floats (cast)', body: () => ({ title: 'Cast', points: '12.5' }), status: 201 },
  { name: 'a read-only id and unknown fields (ignored)', body: () => ({ id: String(new mongoose.Types.ObjectId()), title: 'Ignored', nope: 1 }), status: 201 },
  { name: 'timestamps sent by the client', body: () => ({ title: 'Stamped', createdAt: '2001-01-01T00:00:00.000Z', updatedAt: '2001-01-01T00:00:00.000Z' }), status: 201 },
  { name: 'a missing required title', body: () => ({ points: 1 }), status: 400 },
  { name: 'an enum violation', body: () => ({ title: 'Bad', status: 'gone' }), status: 400 },
  { name: 'a min violation', body: () => ({ title: 'Bad', points: -1 }), status: 400 },
  { name: 'a maxlength violation', body: () => ({ title: 'x'.repeat(41) }), status: 400 },
  { name: 'a value that does not cast', body: () => ({ title: 'Bad', points: 'many' }), status: 400 },
  { name: 'an owner that does not exist (checkReferences)', body: () => ({ title: 'Bad', owner: String(new mongoose.Types.ObjectId()) }), status: 400 },
  { name: 'an owner id that does not cast', body: () => ({ title: 'Bad', owner: 'nobody' }), status: 400 },
];

for (const row of table) {
  test.serial(`POST with ${row.name}: the direct insert and save() answer and store the same`, async (t) => {
    const tag = uniqueTag('create');
    const body = { ...row.body(), tag };
    const direct = await counted('CreateNote', () => agent().post('/direct/').send(body));
    const general = await counted('CreateNote', () => agent().post('/with-save/').send(body));
    t.is(direct.response.status, row.status, JSON.stringify(direct.response.body));
    t.is(direct.saved, 0);
    t.is(general.saved, row.status === 201 ? 1 : 0);
    await assertSameCreates(t, env().models.Note, direct.response, general.response, { direct: '/direct/', general: '/with-save/' });
  });
}

test.serial('the direct insert stores the version 0, createdAt = updatedAt (now), the defaults, in the order save() stores them', async (t) => {
  const response = await agent().post('/direct/').send({ title: 'Stored', tag: uniqueTag('create') });
  t.is(response.status, 201);
  const stored = (await env().models.Note.collection.findOne({ _id: new mongoose.Types.ObjectId(String(response.body.id)) }))!;
  t.is(stored.__v, 0);
  t.deepEqual(stored.createdAt, stored.updatedAt);
  t.true(Math.abs((stored.createdAt as Date).getTime() - Date.now()) < 60_000);
  t.deepEqual(stored.created, new Date('2020-05-06T07:08:09.000Z'));
  t.is(stored.status, 'draft');
  t.deepEqual(stored.tags, []);
  t.deepEqual(Object.keys(stored).slice(-3), ['createdAt', 'updatedAt', '__v']);
});

test.serial('a duplicate unique value: the same 409 naming the field on both paths, nothing written', async (t) => {
  const code = uniqueTag('code');
  const tag = uniqueTag('create');
  t.is((await agent().post('/direct/').send({ title: 'First', code, tag })).status, 201);
  const direct = await agent().post('/direct/').send({ title: 'Dup', code, tag });
  const general = await agent().post('/with-save/').send({ title: 'Dup', code, tag });
  t.is(direct.status, 409);
  t.deepEqual(direct.body, general.body);
  t.deepEqual(direct.body, { error: 'A document with the same unique value already exists.', 'field-errors': { code: 'already exists' } });
  t.is(await env().models.Note.countDocuments({ tag }), 1);
});

test.serial('hasAddPermission of the resource sees the built document on the direct path and is obeyed', async (t) => {
  const tag = uniqueTag('create');
  const refused = await counted('CreateNote', () => agent().post('/guarded/').send({ title: 'No', status: 'published', tag }));
  t.is(refused.response.status, 403);
  const allowed = await counted('CreateNote', () => agent().post('/guarded/').set('X-Editor', 'yes').send({ title: 'Yes', status: 'published', tag }));
  t.is(allowed.response.status, 201);
  t.is(allowed.saved, 0);
  t.deepEqual((await env().models.Note.find({ tag }).lean()).map((doc) => (doc as { title?: string }).title), ['Yes']);
});

test.serial('validate middleware of the app runs on the direct path (inside validateDocument), with the same result as save()', async (t) => {
  const tag = uniqueTag('create');
  const direct = await counted('CreateValidated', () => agent().post('/Validated/').send({ title: 'High', points: 11, tag }));
  const general = await counted('CreateValidated', () => agent().post('/Validated-with-save/').send({ title: 'High', points: 11, tag }));
  t.is(direct.saved, 0);
  t.is(general.saved, 1);
  t.is(direct.response.body.status, 'published');
  await assertSameCreates(t, env().models.Validated, direct.response, general.response, { direct: '/Validated/', general: '/Validated-with-save/' });
});

/** Each model on which a POST must `save()`, and why; every one answers and stores what `directCreates = false` does. */
const saving: { name: string; model: keyof Awaited<ReturnType<typeof build>>['models'] | 'Dog'; modelName: string; body?: Record<string, unknown>; check?: (t: ExecutionContext, body: Record<string, unknown>) => void }[] = [
  { name: 'pre(save) middleware of the app (it runs)', model: 'Hooked', modelName: 'CreateHooked', check: (t, body) => t.deepEqual(body.tags, ['saved']) },
  { name: 'optimisticConcurrency', model: 'Optimistic', modelName: 'CreateOptimistic' },
  { name: 'a shard key', model: 'Sharded', modelName: 'CreateSharded' },
  { name: 'sub-documents (their own save middleware), none sent', model: 'WithSubdocs', modelName: 'CreateWithSubdocs', body: { parts: [] } },
  { name: 'sub-documents (their own save middleware), one sent', model: 'WithSubdocs', modelName: 'CreateWithSubdocs', body: { parts: [{ label: 'a' }] } },
  { name: 'nested timestamp paths', model: 'DottedTimes', modelName: 'CreateDottedTimes' },
  { name: 'a nested object (not a document of scalars)', model: 'Nested', modelName: 'CreateNested', body: { meta: { color: 'red' } } },
  { name: 'a model with discriminators', model: 'Animal', modelName: 'CreateAnimal' },
  { name: 'getters on array items', model: 'Shouted', modelName: 'CreateShouted', body: { words: ['quiet'] }, check: (t, body) => t.deepEqual(body.words, ['QUIET']) },
  { name: 'a discriminator model', model: 'Dog', modelName: 'CreateDog', body: { barks: true } },
];

for (const row of saving) {
  test.serial(`a POST on a model with ${row.name} goes through save(), and answers as with directCreates = false`, async (t) => {
    const body = { title: 'Saved', tag: uniqueTag('create'), ...row.body };
    const direct = await counted(row.modelName, () => agent().post(`/${row.model}/`).send(body));
    const general = await counted(row.modelName, () => agent().post(`/${row.model}-with-save/`).send(body));
    t.is(direct.response.status, 201, JSON.stringify(direct.response.body));
    t.is(direct.saved, 1);
    t.is(general.saved, 1);
    row.check?.(t, direct.response.body as Record<string, unknown>);
    const model = (row.model === 'Dog' ? env().Dog : env().models[row.model]);
    const { id: directId, ...directRest } = direct.response.body as Record<string, unknown>;
    const { id: generalId, ...generalRest } = general.response.body as Record<string, unknown>;
    const { keys: directKeys } = (await storedShape(model, directId))!;
    const { keys: generalKeys } = (await storedShape(model, generalId))!;
    t.deepEqual(directKeys, generalKeys);
    t.deepEqual(Object.keys(directRest), Object.keys(generalRest));
  });
}

test.serial('a save or isNew listener of the model (Model.on) keeps save(), and hears every create', async (t) => {
  for (const [model, modelName] of [['Listened', 'CreateListened'], ['ListenedIsNew', 'CreateListenedIsNew']] as const) {
    const before = env().listened.length;
    const direct = await counted(modelName, () => agent().post(`/${model}/`).send({ title: 'Heard', tag: uniqueTag('create') }));
    t.is(direct.response.status, 201);
    t.is(direct.saved, 1);
    t.is(env().listened.length, before + 1, model);
  }
});

test.serial('a subscriber of Mongoose’s save tracing channel keeps save() for every model', async (t) => {
  const channel = tracingChannel('mongoose:model:save');
  const handlers = { start: () => undefined, end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
  channel.subscribe(handlers);
  try {
    const traced = await counted('CreateNote', () => agent().post('/direct/').send({ title: 'Traced', tag: uniqueTag('create') }));
    t.is(traced.response.status, 201);
    t.is(traced.saved, 1);
  } finally {
    channel.unsubscribe(handlers);
  }
  const untraced = await counted('CreateNote', () => agent().post('/direct/').send({ title: 'Untraced', tag: uniqueTag('create') }));
  t.is(untraced.saved, 0);
});

test.serial('an overridden createObject, validateDocument or saveDocument is called: those resources save()', async (t) => {
  for (const name of ['createObject', 'validateDocument', 'saveDocument']) {
    env().calls.length = 0;
    const url = { createObject: '/own-create/', validateDocument: '/own-validate/', saveDocument: '/own-save/' }[name]!;
    const response = await counted('CreateNote', () => agent().post(url).send({ title: 'Own', tag: uniqueTag('create') }));
    t.is(response.response.status, 201);
    t.deepEqual(env().calls, [name]);
    t.is(response.saved, 1);
  }
});

test.serial('timestamps with currentTime and another createdAt name, no updatedAt: set as save() sets them, on the direct path', async (t) => {
  const body = { title: 'Clocked', tag: uniqueTag('create') };
  const direct = await counted('CreateClocked', () => agent().post('/Clocked/').send(body));
  const general = await counted('CreateClocked', () => agent().post('/Clocked-with-save/').send(body));
  t.is(direct.saved, 0);
  t.is(direct.response.body.made, FIXED_TIME.toISOString());
  t.is(direct.response.body.updatedAt, undefined);
  await assertSameCreates(t, env().models.Clocked, direct.response, general.response, { direct: '/Clocked/', general: '/Clocked-with-save/' });
});

test.serial('without a version key, or with a renamed one, the direct insert stores what save() stores', async (t) => {
  for (const model of ['Unversioned', 'Renamed'] as const) {
    const body = { title: model, tag: uniqueTag('create') };
    const direct = await counted(`Create${model}`, () => agent().post(`/${model}/`).send(body));
    const general = await counted(`Create${model}`, () => agent().post(`/${model}-with-save/`).send(body));
    t.is(direct.saved, 0);
    await assertSameCreates(t, env().models[model], direct.response, general.response, { direct: `/${model}/`, general: `/${model}-with-save/` });
    const stored = await env().models[model].collection.findOne({ _id: new mongoose.Types.ObjectId(String(direct.response.body.id)) });
    t.is(stored?.rev, model === 'Renamed' ? 0 : undefined);
    t.is(stored?.__v, undefined);
  }
  t.is((await agent().post('/Unversioned/').send({ title: 'No ETag' })).headers.etag, undefined);
});

test.serial('an Idempotency-Key create on the direct path: applied once, the retry replays the first answer', async (t) => {
  const key = uniqueTag('key');
  const tag = uniqueTag('create');
  const first = await counted('CreateNote', () => agent().post('/direct/').set('Idempotency-Key', key).send({ title: 'Once', tag }));
  t.is(first.response.status, 201);
  t.is(first.saved, 0);
  const retry = await agent().post('/direct/').set('Idempotency-Key', key).send({ title: 'Once', tag });
  t.is(retry.status, 201);
  t.deepEqual(retry.body, first.response.body);
  t.is(retry.headers.location, first.response.headers.location);
  t.is(await env().models.Note.countDocuments({ tag }), 1);
  const general = await agent().post('/with-save/').set('Idempotency-Key', uniqueTag('key')).send({ title: 'Once', tag });
  await assertSameCreates(t, env().models.Note, first.response, general, { direct: '/direct/', general: '/with-save/' });
});

test.serial('a bulk create on a resource that inserts directly goes through save(), and stores what the other resource stores', async (t) => {
  const tag = uniqueTag('create');
  const items = [{ title: 'One', tag }, { title: 'Two', points: 3, tag }];
  const direct = await counted('CreateNote', () => agent().post('/direct/').send(items));
  const general = await counted('CreateNote', () => agent().post('/with-save/').send(items));
  t.is(direct.response.status, 201);
  t.is(direct.saved, 2);
  t.is(general.saved, 2);
  const shape = (response: request.Response) =>
    (response.body.data as Record<string, unknown>[]).map((item) => {
      const { id, createdAt, updatedAt, ...rest } = item;
      return { ...rest, hasId: typeof id === 'string', stamped: createdAt === updatedAt };
    });
  t.deepEqual(shape(direct.response), shape(general.response));
});

test.serial('checkReferences reads plain ref ids straight from the collection: no Query, the same 400 for a missing or malformed id', async (t) => {
  const queries = countQueries(env().Owner);
  const missing = String(new mongoose.Types.ObjectId());
  const ok = await agent().post('/direct/').send({ title: 'Owned', owner: owner() });
  t.is(ok.status, 201);
  const bad = await agent().post('/direct/').send({ title: 'Owned', owner: missing });
  t.is(bad.status, 400);
  t.deepEqual(bad.body, { 'field-errors': { owner: `No document with id ${JSON.stringify(missing)}.` } });
  t.is(queries.count, 0);
});

test.serial('a referenced model with find middleware of the app: the existence check runs it (a Mongoose Query)', async (t) => {
  const hidden = await env().HookedOwner.collection.findOne({ name: 'hidden' });
  t.truthy(hidden);
  const queries = countQueries(env().HookedOwner);
  // Stored, but the referenced model's own find middleware hides it: Mongoose says it does not exist.
  const response = await agent().post('/KeptBy/').send({ title: 'Kept', keeper: String(hidden!._id) });
  t.is(response.status, 400);
  t.deepEqual(response.body, { 'field-errors': { keeper: `No document with id ${JSON.stringify(String(hidden!._id))}.` } });
  t.is(queries.count, 1);
});
