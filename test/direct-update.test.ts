/**
 * PUT without Mongoose documents (issue 15, lib/direct-update/): where a resource allows it, a PUT reads
 * the stored document lean and writes with one `findOneAndUpdate` by `_id`. It must be indistinguishable
 * from loading a Mongoose document, changing, validating and saving it: every body of the table below is
 * sent to two identical documents, once through a view whose resource updates directly and once through
 * one that loads and saves (`directUpdates = false`), and the answers (status, body, ETag) and the stored
 * documents (version, timestamps, values) must be the same. The database commands show which path ran;
 * anything that could tell the paths apart (middleware of the app, overridden hooks, If-Match, nested
 * paths) takes the load-and-save path.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type AnyDocument, type RequestContext } from '../lib/index.js';
import { countQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function noteFields() {
  return {
    tag: String,
    title: { type: String, required: true, maxlength: 40, trim: true },
    status: { type: String, enum: ['draft', 'published'], default: 'draft' },
    score: { type: Number, min: 0, default: 0 },
    tags: { type: [String], default: [] },
    seen: [Date],
    owner: { type: mongoose.Schema.Types.ObjectId },
    done: Boolean,
    code: { type: String, unique: true, sparse: true },
    meta: { color: String, size: Number },
  };
}

async function build(connection: Connection) {
  const Note = connection.model('DirectNote', new mongoose.Schema(noteFields(), { timestamps: true }));
  const hooked = new mongoose.Schema(noteFields(), { timestamps: true });
  hooked.pre('save', function () {
    this.tags = [...(this.tags ?? []), 'saved'];
  });
  const Hooked = connection.model('DirectHooked', hooked);
  // Every save conditional on the loaded version; a path the load leaves out.
  const Optimistic = connection.model('DirectOptimistic', new mongoose.Schema(noteFields(), { optimisticConcurrency: true }));
  const Secret = connection.model('DirectSecret', new mongoose.Schema({ ...noteFields(), pin: { type: String, select: false } }));
  // Indexes built before anything is recorded: their commands are not a request's.
  await Promise.all([Note.init(), Hooked.init(), Optimistic.init(), Secret.init()]);
  const commands: string[] = [];
  connection.set('debug', (collection: string, method: string) => {
    if (collection.startsWith('direct')) commands.push(`${collection}.${method}`);
  });

  class NoteResource extends Resource {
    document = Note;
    override renameFields = { score: 'points' };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class LoadAndSaveResource extends NoteResource {
    override directUpdates = false;
  }
  /** The default queryset: the direct PUT reads straight from the collection (query/direct-read.ts). */
  class PlainNoteResource extends Resource {
    document = Note;
    override renameFields = { score: 'points' };
  }
  class PlainLoadAndSaveResource extends PlainNoteResource {
    override directUpdates = false;
  }
  class GuardedResource extends NoteResource {
    override hasChangePermission(ctx: RequestContext, doc: AnyDocument) {
      return doc.get('status') !== 'published' || ctx.get('X-Editor') === 'yes';
    }
  }
  class HookedResource extends Resource {
    document = Hooked;
  }
  class OptimisticResource extends Resource {
    document = Optimistic;
  }
  class SecretResource extends Resource {
    document = Secret;
  }
  const views = {
    direct: NoteResource,
    'load-and-save': LoadAndSaveResource,
    'plain-direct': PlainNoteResource,
    'plain-load-and-save': PlainLoadAndSaveResource,
    guarded: GuardedResource,
    hooked: HookedResource,
    optimistic: OptimisticResource,
    secret: SecretResource,
  };
  const api = new TestMongoRest();
  for (const [url, resource] of Object.entries(views)) {
    class View extends ResourceView {
      resource = resource;
      methods = [methods.Fetch, methods.Update];
    }
    api.register(View, { url: `/${url}/`, name: url });
  }
  class GuardedView extends ResourceView {
    resource = NoteResource;
    methods = [methods.Fetch, methods.Update];
    override hasChangePermission(ctx: RequestContext) {
      return ctx.get('X-Editor') === 'yes';
    }
  }
  api.register(GuardedView, { url: '/view-guarded/', name: 'view-guarded' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Note, Hooked, Optimistic, Secret, commands, noteQueries: countQueries(Note) };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);

const owner = new mongoose.Types.ObjectId();
const seeded = { title: 'First', status: 'draft', score: 3, tags: ['a', 'b'], seen: [new Date('2024-01-02T03:04:05Z')], owner, done: false, meta: { color: 'red', size: 1 } };

/** Two identical documents (one per path) under a fresh tag. */
async function twins(extra: Record<string, unknown> = {}) {
  const tag = uniqueTag('direct');
  const [a, b] = await env().Note.create([
    { ...seeded, ...extra, tag },
    { ...seeded, ...extra, tag },
  ]);
  return { tag, direct: String(a!._id), general: String(b!._id) };
}

/** The commands the request sent for DirectNote documents (Mongoose's debug log). */
async function commandsOf<T>(send: () => Promise<T>): Promise<{ result: T; commands: string[] }> {
  env().commands.length = 0;
  const result = await send();
  return { result, commands: [...env().commands] };
}

/** A stored document without what differs by nature between two documents (ids, times). */
async function storedShape(id: string) {
  const stored = await env().Note.findById(id).lean();
  if (!stored) return null;
  const { _id, createdAt, updatedAt, ...rest } = stored as Record<string, unknown>;
  return { ...rest, moved: (updatedAt as Date).getTime() !== (createdAt as Date).getTime() };
}

function withoutId(body: Record<string, unknown>) {
  const { id, createdAt, updatedAt, ...rest } = body;
  return { ...rest, hasId: typeof id === 'string', moved: updatedAt !== createdAt };
}

const FIND = 'directnotes.findOne';
const UPDATE = 'directnotes.updateOne';
const DIRECT = ['directnotes.findOne', 'directnotes.findOneAndUpdate'];
const LOAD_AND_SAVE = [FIND, UPDATE];
/** Mongoose's `save()` of a document with no changes checks that it still exists (a second findOne). */
const LOAD_AND_KEEP = [FIND, FIND];

/**
 * Each body, its status, and the commands each path sends. When the direct path declines, the
 * load-and-save path answers: a PUT that changes nothing is found out by the direct update matching
 * nothing (then loaded, and not saved); a body with a 4xx or a path a direct update does not write is
 * declined before anything is sent.
 */
const table: { name: string; body: Record<string, unknown>; status: number; direct: string[]; general: string[] }[] = [
  { name: 'scalars', body: { title: 'Second', points: 9 }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'a trimmed string (Mongoose setter)', body: { title: '  padded  ' }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'an array of strings', body: { tags: ['x', 'y', 'z'] }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'an emptied array', body: { tags: [] }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'dates, ids, booleans', body: { seen: ['2025-06-07T08:09:10.000Z'], owner: String(new mongoose.Types.ObjectId()), done: true }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'null on an optional path', body: { done: null }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'one value changed, one the same', body: { title: 'First', status: 'published' }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'a read-only id next to a change (the id is ignored)', body: { id: String(new mongoose.Types.ObjectId()), title: 'Kept id' }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'nothing changed (the version is kept)', body: { title: 'First', points: 3 }, status: 200, direct: [FIND], general: LOAD_AND_KEEP },
  { name: 'the same array, date, id and boolean', body: { tags: ['a', 'b'], seen: ['2024-01-02T03:04:05.000Z'], owner: String(owner), done: false }, status: 200, direct: [FIND], general: LOAD_AND_KEEP },
  { name: 'the same array in another order', body: { tags: ['b', 'a'] }, status: 200, direct: DIRECT, general: LOAD_AND_SAVE },
  { name: 'a number equal to the stored one written as a float', body: { points: 3.0, title: 'First' }, status: 200, direct: [FIND], general: LOAD_AND_KEEP },
  { name: 'an empty body', body: {}, status: 200, direct: [FIND], general: LOAD_AND_KEEP },
  { name: 'only unknown fields', body: { nope: 1 }, status: 200, direct: [FIND], general: LOAD_AND_KEEP },
  { name: 'a nested object (replaced whole)', body: { meta: { color: 'blue' } }, status: 200, direct: LOAD_AND_SAVE, general: LOAD_AND_SAVE },
  { name: 'a nested object and a scalar', body: { meta: { size: 2 }, title: 'Mixed' }, status: 200, direct: LOAD_AND_SAVE, general: LOAD_AND_SAVE },
  { name: 'an enum violation', body: { status: 'gone' }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'a min violation', body: { points: -1 }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'a required path set to null', body: { title: null }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'a maxlength violation', body: { title: 'x'.repeat(41) }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'a value that does not cast', body: { points: 'many' }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'an id that does not cast', body: { owner: 'nobody' }, status: 400, direct: [FIND], general: [FIND] },
  { name: 'a valid value next to an invalid one', body: { title: 'Fine', status: 'gone' }, status: 400, direct: [FIND], general: [FIND] },
];

for (const row of table) {
  test.serial(`PUT with ${row.name}: the direct and the load-and-save paths answer and store the same`, async (t) => {
    const { tag, direct, general } = await twins();
    const viaDirect = await commandsOf(() => agent().put(`/direct/${direct}/`).set('X-Tag', tag).send(row.body));
    const viaGeneral = await commandsOf(() => agent().put(`/load-and-save/${general}/`).set('X-Tag', tag).send(row.body));
    t.is(viaDirect.result.status, row.status, JSON.stringify(viaDirect.result.body));
    t.is(viaGeneral.result.status, row.status);
    t.deepEqual(viaDirect.commands, row.direct);
    t.deepEqual(viaGeneral.commands, row.general);
    if (row.status === 200) {
      t.deepEqual(withoutId(viaDirect.result.body as Record<string, unknown>), withoutId(viaGeneral.result.body as Record<string, unknown>));
      t.is(typeof viaDirect.result.headers.etag, 'string');
      const fetched = await agent().get(`/direct/${direct}/`).set('X-Tag', tag);
      t.is(viaDirect.result.headers.etag, fetched.headers.etag);
      t.deepEqual(viaDirect.result.body, fetched.body);
    } else {
      t.deepEqual(viaDirect.result.body, viaGeneral.result.body);
    }
    t.deepEqual(await storedShape(direct), await storedShape(general));
  });
}

/** The Mongoose Queries the Note model executes while `send` runs (the tests of this file run one at a time). */
async function queriesOf<T>(send: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const before = env().noteQueries.count;
  const result = await send();
  return { result, queries: env().noteQueries.count - before };
}

for (const row of table) {
  test.serial(`PUT with ${row.name}, default queryset: the direct path reads from the collection and answers and stores as the load-and-save path`, async (t) => {
    const { direct, general } = await twins();
    const viaDirect = await commandsOf(() => queriesOf(() => agent().put(`/plain-direct/${direct}/`).send(row.body)));
    const viaGeneral = await commandsOf(() => agent().put(`/plain-load-and-save/${general}/`).send(row.body));
    const directResponse = viaDirect.result.result;
    t.is(directResponse.status, row.status, JSON.stringify(directResponse.body));
    t.is(viaGeneral.result.status, row.status);
    t.deepEqual(viaDirect.commands, row.direct);
    t.deepEqual(viaGeneral.commands, row.general);
    // The direct path runs no Query (its read and its write go to the collection); a declined PUT is
    // loaded through one Query (a load-and-save's save is no Query).
    const wentDirect = row.direct === DIRECT || (row.status === 200 && row.direct.length === 1);
    t.is(viaDirect.result.queries, wentDirect ? 0 : 1);
    if (row.status === 200) {
      t.deepEqual(withoutId(directResponse.body as Record<string, unknown>), withoutId(viaGeneral.result.body as Record<string, unknown>));
      const fetched = await agent().get(`/plain-direct/${direct}/`);
      t.is(directResponse.headers.etag, fetched.headers.etag);
      t.deepEqual(directResponse.body, fetched.body);
    } else {
      t.deepEqual(directResponse.body, viaGeneral.result.body);
    }
    t.deepEqual(await storedShape(direct), await storedShape(general));
  });
}

test.serial('a direct PUT with the default queryset: an unknown id and a malformed id are 404, nothing written', async (t) => {
  const { direct } = await twins();
  for (const path of [`/plain-direct/${String(new mongoose.Types.ObjectId())}/`, '/plain-direct/not-an-id/']) {
    const response = await agent().put(path).send({ title: 'Stolen' });
    t.is(response.status, 404, path);
    t.deepEqual(response.body, { error: 'Not found' });
  }
  t.is((await env().Note.findById(direct).lean())?.title, 'First');
});

/** Records what reaches the Note collection's `findOneAndUpdate` (from a Query or straight), while `send` runs. */
async function updatesOf(send: () => Promise<unknown>): Promise<unknown[][]> {
  const collection = env().Note.collection as unknown as { findOneAndUpdate: (...args: unknown[]) => unknown };
  const original = collection.findOneAndUpdate;
  const sent: unknown[][] = [];
  collection.findOneAndUpdate = function (this: unknown, ...args: unknown[]) {
    sent.push(args.slice(0, 3));
    return original.apply(this, args);
  };
  try {
    await send();
  } finally {
    collection.findOneAndUpdate = original;
  }
  return sent;
}

/** Sends through Mongoose Queries: a subscriber on Mongoose's query tracing channel turns the direct paths off. */
async function throughQueries<T>(send: () => Promise<T>): Promise<T> {
  const channel = tracingChannel('mongoose:query');
  const subscriber = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channel.subscribe(subscriber);
  try {
    return await send();
  } finally {
    channel.unsubscribe(subscriber);
  }
}

/** An update command with its varying parts named: ids and dates by type, the session by presence. */
function updateShape([filter, update, options]: unknown[]): unknown {
  const shape = (value: unknown): unknown => {
    if (value instanceof Date) return 'a Date';
    if (value instanceof mongoose.Types.ObjectId) return 'an ObjectId';
    if (Array.isArray(value)) return value.map(shape);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === 'session' ? 'a session' : shape(item)]));
    return value;
  };
  // Mongoose 8 adds `$setOnInsert: {createdAt}` to every update, 9 only to upserts: without upsert it writes nothing.
  const { $setOnInsert: _ignored, ...sent } = update as Record<string, unknown>;
  return { filter: shape(filter), update: shape(sent), options: shape(options) };
}

test.serial('the direct write sends the collection what the Query sends: filter, $set with updatedAt, $inc of the version, options', async (t) => {
  const { direct, general } = await twins();
  const body = { title: 'Sent', points: 5, tags: ['q'], seen: ['2025-01-01T00:00:00.000Z'] };
  let direct200 = 0;
  const straight = await updatesOf(async () => {
    const { result, queries } = await queriesOf(() => agent().put(`/plain-direct/${direct}/`).send(body));
    direct200 = result.status;
    t.is(queries, 0);
  });
  const viaQuery = await updatesOf(async () => {
    const { result, queries } = await queriesOf(() => throughQueries(() => agent().put(`/plain-direct/${general}/`).send(body)));
    t.is(result.status, 200);
    t.is(queries, 2);
  });
  t.is(direct200, 200);
  t.is(straight.length, 1);
  t.is(viaQuery.length, 1);
  t.deepEqual(updateShape(straight[0]!), updateShape(viaQuery[0]!));
  t.deepEqual(updateShape(straight[0]!), {
    filter: { _id: 'an ObjectId' },
    update: { $set: { title: 'Sent', score: 5, tags: ['q'], seen: ['a Date'], updatedAt: 'a Date' }, $inc: { __v: 1 } },
    options: { session: 'a session', returnDocument: 'after', returnOriginal: false },
  });
  t.deepEqual(await storedShape(direct), await storedShape(general));
});

test.serial('with Mongoose-wide runValidators, the direct update is sent through the Query (which validates it)', async (t) => {
  const { direct } = await twins();
  const base = env().Note.base as unknown as { set(key: string, value: unknown): unknown; get(key: string): unknown };
  const previous = base.get('runValidators');
  base.set('runValidators', true);
  try {
    const { result, queries } = await queriesOf(() => agent().put(`/plain-direct/${direct}/`).send({ title: 'Validated' }));
    t.is(result.status, 200);
    t.is(queries, 1);
  } finally {
    base.set('runValidators', previous);
  }
  t.is((await env().Note.findById(direct).lean())?.title, 'Validated');
});

test.serial('a PUT sending createdAt takes the load-and-save path (a timestamp is never written directly), which keeps the stored createdAt', async (t) => {
  const { direct, general } = await twins();
  const before = await env().Note.findById(direct).lean();
  const body = { title: 'Dated', createdAt: '2001-01-01T00:00:00.000Z' };
  const viaDirect = await commandsOf(() => queriesOf(() => agent().put(`/plain-direct/${direct}/`).send(body)));
  t.is(viaDirect.result.result.status, 200);
  t.deepEqual(viaDirect.commands, LOAD_AND_SAVE);
  t.is(viaDirect.result.queries, 1);
  t.is((await agent().put(`/plain-load-and-save/${general}/`).send(body)).status, 200);
  const after = await env().Note.findById(direct).lean();
  t.is(after?.title, 'Dated');
  t.deepEqual(after?.createdAt, before?.createdAt);
  t.deepEqual(await storedShape(direct), await storedShape(general));
});

test.serial('a direct PUT moves the version by one and updatedAt, keeps createdAt; a PUT that changes nothing keeps both', async (t) => {
  const { tag, direct } = await twins();
  const before = await env().Note.findById(direct).lean();
  const first = await agent().put(`/direct/${direct}/`).set('X-Tag', tag).send({ title: 'Moved' });
  t.is(first.status, 200);
  const after = await env().Note.findById(direct).lean();
  t.is(after?.__v, (before?.__v ?? 0) + 1);
  t.deepEqual(after?.createdAt, before?.createdAt);
  t.true(after!.updatedAt.getTime() > before!.updatedAt.getTime() || after!.updatedAt.getTime() === Date.now());
  const same = await agent().put(`/direct/${direct}/`).set('X-Tag', tag).send({ title: 'Moved' });
  t.is(same.status, 200);
  t.is(same.headers.etag, first.headers.etag);
  const unchanged = await env().Note.findById(direct).lean();
  t.is(unchanged?.__v, after?.__v);
  t.deepEqual(unchanged?.updatedAt, after?.updatedAt);
});

test.serial('a direct PUT goes through the reader’s query: another tag’s document, an unknown id and a malformed id are 404', async (t) => {
  const { direct } = await twins();
  for (const [path, tag] of [
    [`/direct/${direct}/`, 'someone-else'],
    [`/direct/${String(new mongoose.Types.ObjectId())}/`, 'x'],
    ['/direct/not-an-id/', 'x'],
  ] as const) {
    const response = await agent().put(path).set('X-Tag', tag).send({ title: 'Stolen' });
    t.is(response.status, 404, path);
    t.deepEqual(response.body, { error: 'Not found' });
  }
  t.is((await env().Note.findById(direct).lean())?.title, 'First');
});

test.serial('a duplicate unique value: 409 naming the field, as the load-and-save path answers, nothing written', async (t) => {
  const { tag, direct, general } = await twins();
  const code = uniqueTag('code');
  await env().Note.create({ ...seeded, tag, code });
  const viaDirect = await agent().put(`/direct/${direct}/`).set('X-Tag', tag).send({ code, title: 'Dup' });
  const viaGeneral = await agent().put(`/load-and-save/${general}/`).set('X-Tag', tag).send({ code, title: 'Dup' });
  t.is(viaDirect.status, 409);
  t.deepEqual(viaDirect.body, viaGeneral.body);
  t.is((await env().Note.findById(direct).lean())?.title, 'First');
});

test.serial('If-Match takes the load-and-save path: a current ETag writes, a stale one is 412', async (t) => {
  const { tag, direct } = await twins();
  const etag = (await agent().get(`/direct/${direct}/`).set('X-Tag', tag)).headers.etag as string;
  const ok = await commandsOf(() => agent().put(`/direct/${direct}/`).set('X-Tag', tag).set('If-Match', etag).send({ title: 'Matched' }));
  t.is(ok.result.status, 200);
  t.deepEqual(ok.commands, LOAD_AND_SAVE);
  const stale = await agent().put(`/direct/${direct}/`).set('X-Tag', tag).set('If-Match', etag).send({ title: 'Stale' });
  t.is(stale.status, 412);
  t.is((await env().Note.findById(direct).lean())?.title, 'Matched');
});

test.serial('a hasChangePermission of the resource or of the view takes the load-and-save path and is obeyed', async (t) => {
  const { tag, direct, general } = await twins({ status: 'published' });
  const refused = await commandsOf(() => agent().put(`/guarded/${direct}/`).set('X-Tag', tag).send({ title: 'No' }));
  t.is(refused.result.status, 403);
  t.deepEqual(refused.commands, ['directnotes.findOne']);
  const allowed = await commandsOf(() => agent().put(`/guarded/${direct}/`).set('X-Tag', tag).set('X-Editor', 'yes').send({ title: 'Yes' }));
  t.is(allowed.result.status, 200);
  t.deepEqual(allowed.commands, LOAD_AND_SAVE);
  t.is((await agent().put(`/view-guarded/${general}/`).set('X-Tag', tag).send({ title: 'No' })).status, 403);
  const viewAllowed = await commandsOf(() => agent().put(`/view-guarded/${general}/`).set('X-Tag', tag).set('X-Editor', 'yes').send({ title: 'Yes' }));
  t.is(viewAllowed.result.status, 200);
  t.deepEqual(viewAllowed.commands, LOAD_AND_SAVE);
});

test.serial('a model with pre(save) middleware of the app is loaded and saved, so the middleware runs', async (t) => {
  const doc = await env().Hooked.create({ ...seeded, tag: 'hooked' });
  t.deepEqual(doc.tags, ['a', 'b', 'saved']);
  const response = await commandsOf(() => agent().put(`/hooked/${String(doc._id)}/`).send({ title: 'Hooked' }));
  t.is(response.result.status, 200);
  t.deepEqual(response.result.body.tags, ['a', 'b', 'saved', 'saved']);
  t.deepEqual(response.commands, ['directhookeds.findOne', 'directhookeds.updateOne']);
});

test.serial('concurrent direct PUTs of distinct documents each land once, with their own values', async (t) => {
  const tag = uniqueTag('direct');
  const docs = await env().Note.create(Array.from({ length: 8 }, (_, i) => ({ ...seeded, tag, title: `n${i}` })));
  const responses = await Promise.all(docs.map((doc, i) => agent().put(`/direct/${String(doc._id)}/`).set('X-Tag', tag).send({ points: 100 + i, tags: [`t${i}`] })));
  for (const [i, response] of responses.entries()) {
    assertUpdated(t, response, i);
    const stored = await env().Note.findById(docs[i]!._id).lean();
    t.is(stored?.score, 100 + i);
    t.deepEqual(stored?.tags, [`t${i}`]);
    t.is(stored?.__v, 1);
  }
});

function assertUpdated(t: ExecutionContext, response: request.Response, i: number) {
  t.is(response.status, 200);
  t.is(response.body.points, 100 + i);
  t.deepEqual(response.body.tags, [`t${i}`]);
}

test.serial('optimisticConcurrency and select: false paths keep the load-and-save path (a conditional save; a field the load leaves out)', async (t) => {
  const optimistic = await env().Optimistic.create({ ...seeded, tag: 'optimistic' });
  const viaOptimistic = await commandsOf(() => agent().put(`/optimistic/${String(optimistic._id)}/`).send({ title: 'Checked' }));
  t.is(viaOptimistic.result.status, 200);
  t.deepEqual(viaOptimistic.commands, ['directoptimistics.findOne', 'directoptimistics.updateOne']);
  const secret = await env().Secret.create({ ...seeded, tag: 'secret', pin: '1234' });
  const viaSecret = await commandsOf(() => agent().put(`/secret/${String(secret._id)}/`).send({ title: 'Hidden' }));
  t.is(viaSecret.result.status, 200);
  t.deepEqual(viaSecret.commands, ['directsecrets.findOne', 'directsecrets.updateOne']);
  t.not(viaSecret.result.body.pin, '1234');
});
