/**
 * Writes through a broken network (the TCP proxy fixture): replies held, released and dropped, new
 * connections refused. Every response must tell the truth, checked on the real database afterwards:
 *   2xx → the change is stored exactly once;
 *   503 + Retry-After → the change is not stored, and never will be (checked again after the network is
 *         healed, once every operation still queued in the driver has had its chance to run);
 *   504 → "may or may not have been saved", no Retry-After: only "at most once" can be checked.
 *
 * The documents checked are always distinct per request (a marker text, or a document of its own), so
 * nothing here depends on concurrent updates of one document — FerretDB loses some of those even through
 * the raw driver (see the note of issue 10), MongoDB does not.
 */
import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { MongoRest, Resource, ResourceView, methods, ops } from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';

const database = useTestDatabase(test, import.meta.url);

const GATEWAY_TIMEOUT = { error: 'The database did not answer in time; the change may or may not have been saved.' };
const UNAVAILABLE = { error: 'Service Unavailable' };
const COLLECTION = 'faultnotes';
const DIRECT_COLLECTION = 'faultdirectnotes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Harness {
  proxy: TcpProxy;
  connection: mongoose.Connection;
  server: ReturnType<Koa['callback']>;
  /** Called by the permission hooks, i.e. after every read of the request and right before its write. */
  beforeWrite: () => void;
  /** Called when a save was acknowledged (a post-save hook), before the answer is built. */
  afterSave: () => void;
  /** A document the notes may reference (`author`), served as a related resource. */
  authorId: mongoose.Types.ObjectId;
  close(): Promise<void>;
}

async function harness(options: { databaseTimeoutMS: number; maxPoolSize?: number; waitQueueTimeoutMS?: number }): Promise<Harness> {
  const db = await database.ready;
  const proxy = await TcpProxy.start(db.uri);
  const connection = mongoose.createConnection(proxy.uri(db.dbName), {
    heartbeatFrequencyMS: 500,
    // Longer than any hold below: a held heartbeat must not make the driver give the server up.
    connectTimeoutMS: 20_000,
    maxPoolSize: options.maxPoolSize ?? 5,
    ...(options.waitQueueTimeoutMS === undefined ? {} : { waitQueueTimeoutMS: options.waitQueueTimeoutMS }),
  });
  connection.on('error', () => undefined);
  await connection.asPromise();
  const Author = connection.model('FaultAuthor', new mongoose.Schema({ name: String }, { collection: 'faultauthors' }));
  const noteSchema = new mongoose.Schema(
    { text: String, n: Number, batch: String, author: { type: mongoose.Schema.Types.ObjectId, ref: 'FaultAuthor' } },
    { collection: COLLECTION },
  );
  noteSchema.post('save', () => state.afterSave());
  const Note = connection.model('FaultNote', noteSchema);
  const state: Harness = {
    proxy,
    connection,
    server: undefined as unknown as Harness['server'],
    beforeWrite: () => undefined,
    afterSave: () => undefined,
    authorId: (await Author.create({ name: 'Ann' }))._id,
    async close() {
      proxy.release();
      await connection.close(true).catch(() => undefined);
      await proxy.stop();
    },
  };
  class AuthorResource extends Resource {
    document = Author;
  }
  class NoteResource extends Resource {
    document = Note;
    filters = { batch: [ops.Exact] };
    relatedResources = { author: AuthorResource };
  }
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.Create, methods.Update, methods.Delete, methods.BulkUpdate, methods.Fetch, methods.List];
    override hasAddPermission() {
      state.beforeWrite();
      return true;
    }
    override hasChangePermission() {
      state.beforeWrite();
      return true;
    }
    override hasDeletePermission() {
      state.beforeWrite();
      return true;
    }
  }
  // No middleware, no hooks: its PUT is one findOneAndUpdate (lib/direct-update/), its POST one insertOne (lib/direct-create/).
  const DirectNote = connection.model('FaultDirectNote', new mongoose.Schema({ text: String, n: Number }, { collection: DIRECT_COLLECTION }));
  class DirectNoteResource extends Resource {
    document = DirectNote;
  }
  class DirectNoteView extends ResourceView {
    resource = DirectNoteResource;
    methods = [methods.Create, methods.Update, methods.Fetch];
  }
  const api = new MongoRest({ databaseTimeoutMS: options.databaseTimeoutMS });
  api.register(NoteView, { url: '/notes/' });
  api.register(DirectNoteView, { url: '/direct-notes/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  state.server = app.callback();
  return state;
}

/** The collection as seen directly (not through the proxy). */
function notes() {
  return database().connection.collection(COLLECTION);
}

/**
 * Heals the network and waits until every write still queued in the driver had its chance to run: a
 * write that the app answered 503 for and that would still be sent late shows up after this. The pool's
 * wait queue is first-in first-out, so a write queued now completes only after the earlier ones got a
 * connection; the pause covers writes that were already on the wire.
 */
async function settle(h: Harness): Promise<void> {
  h.proxy.release();
  await h.proxy.resume();
  for (let waited = 0; h.connection.readyState !== mongoose.ConnectionStates.connected && waited < 15_000; waited += 100) await sleep(100);
  await h.connection.collection(COLLECTION).insertOne({ text: `sentinel-${randomUUID()}` });
  await sleep(500);
}

/**
 * The rule every response obeys. `applied()` counts how often the change is in the database: exactly
 * `expected` after a 2xx, 0 after a 503, at most `expected` after a 504.
 */
async function assertTruthful(t: ExecutionContext, response: request.Response, applied: () => Promise<number>, expected = 1): Promise<void> {
  const count = await applied();
  if (response.status >= 200 && response.status < 300) {
    t.is(count, expected, `${response.status} but applied ${count} times`);
  } else if (response.status === 503) {
    t.deepEqual(response.body, UNAVAILABLE);
    t.is(response.headers['retry-after'], '1');
    t.is(count, 0, `503 but applied ${count} times`);
  } else if (response.status === 504) {
    t.deepEqual(response.body, GATEWAY_TIMEOUT);
    t.is(response.headers['retry-after'], undefined);
    t.true(count <= expected, `504 and applied ${count} times`);
  } else {
    t.fail(`unexpected ${response.status} ${JSON.stringify(response.body)}`);
  }
}

function assertGatewayTimeout(t: ExecutionContext, response: request.Response): void {
  t.is(response.status, 504);
  t.deepEqual(response.body, GATEWAY_TIMEOUT);
  t.is(response.headers['retry-after'], undefined);
}

async function seed(batch: string, count: number): Promise<mongoose.Types.ObjectId[]> {
  const docs = Array.from({ length: count }, (_, index) => ({ _id: new mongoose.Types.ObjectId(), text: `${batch}-${index}`, n: 0, batch }));
  await notes().insertMany(docs);
  return docs.map((doc) => doc._id);
}

test.serial('POST whose reply is held past the deadline → 504 without Retry-After; stored at most once', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    t.is((await request(h.server).get('/notes/?_limit=1')).status, 200); // a pooled connection is ready
    const text = `held-post-${randomUUID()}`;
    h.beforeWrite = () => h.proxy.hold();
    const response = await request(h.server).post('/notes/').send({ text });
    assertGatewayTimeout(t, response);
    await settle(h);
    await assertTruthful(t, response, () => notes().countDocuments({ text }));
  } finally {
    await h.close();
  }
});

test.serial('PUT, DELETE and bulk PUT whose reply is held past the deadline → 504', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    const batch = `held-${randomUUID()}`;
    const [updated, deleted] = await seed(batch, 2);
    const bulkBatch = `held-bulk-${randomUUID()}`;
    await seed(bulkBatch, 3);

    h.beforeWrite = () => h.proxy.hold();
    const put = await request(h.server).put(`/notes/${String(updated)}/`).send({ n: 7 });
    assertGatewayTimeout(t, put);
    h.proxy.release();
    const del = await request(h.server).delete(`/notes/${String(deleted)}/`);
    assertGatewayTimeout(t, del);
    h.proxy.release();
    const bulk = await request(h.server).put(`/notes/?batch=${bulkBatch}`).send({ n: 9 });
    assertGatewayTimeout(t, bulk);

    await settle(h);
    await assertTruthful(t, put, () => notes().countDocuments({ _id: updated, n: 7 }));
    await assertTruthful(t, del, async () => 1 - (await notes().countDocuments({ _id: deleted })));
    await assertTruthful(t, bulk, () => notes().countDocuments({ batch: bulkBatch, n: 9 }), 3);
  } finally {
    await h.close();
  }
});

test.serial('a direct PUT (one findOneAndUpdate) whose reply is held past the deadline → 504; applied at most once', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    const { insertedId } = await database().connection.collection(DIRECT_COLLECTION).insertOne({ text: 'before', n: 0 });
    t.is((await request(h.server).get(`/direct-notes/${String(insertedId)}/`)).status, 200); // a pooled connection is ready
    const text = `held-direct-${randomUUID()}`;
    const held = h.proxy.holdAfterRequestContaining(text);
    const response = await request(h.server).put(`/direct-notes/${String(insertedId)}/`).send({ text });
    await held;
    assertGatewayTimeout(t, response);
    await settle(h);
    await assertTruthful(t, response, () => database().connection.collection(DIRECT_COLLECTION).countDocuments({ _id: insertedId, text }));
  } finally {
    await h.close();
  }
});

test.serial('a direct PUT while the database refuses connections → 503, and it is never written', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    const { insertedId } = await database().connection.collection(DIRECT_COLLECTION).insertOne({ text: 'before', n: 0 });
    await h.proxy.stop();
    for (let waited = 0; h.connection.readyState === mongoose.ConnectionStates.connected && waited < 10_000; waited += 50) await sleep(50);
    const text = `refused-direct-${randomUUID()}`;
    const response = await request(h.server).put(`/direct-notes/${String(insertedId)}/`).send({ text });
    t.is(response.status, 503);
    await settle(h);
    await assertTruthful(t, response, () => database().connection.collection(DIRECT_COLLECTION).countDocuments({ _id: insertedId, text }));
  } finally {
    await h.close();
  }
});

test.serial('a direct POST (one insertOne, no save()) whose reply is held past the deadline → 504; stored at most once', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    const { insertedId } = await database().connection.collection(DIRECT_COLLECTION).insertOne({ text: 'before', n: 0 });
    t.is((await request(h.server).get(`/direct-notes/${String(insertedId)}/`)).status, 200); // a pooled connection is ready
    const text = `held-direct-post-${randomUUID()}`;
    const held = h.proxy.holdAfterRequestContaining(text);
    const response = await request(h.server).post('/direct-notes/').send({ text });
    await held;
    assertGatewayTimeout(t, response);
    await settle(h);
    await assertTruthful(t, response, () => database().connection.collection(DIRECT_COLLECTION).countDocuments({ text }));
  } finally {
    await h.close();
  }
});

test.serial('a direct POST while the database refuses connections → 503, and it is never written', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    await h.proxy.stop();
    for (let waited = 0; h.connection.readyState === mongoose.ConnectionStates.connected && waited < 10_000; waited += 50) await sleep(50);
    const text = `refused-direct-post-${randomUUID()}`;
    const response = await request(h.server).post('/direct-notes/').send({ text });
    t.is(response.status, 503);
    await settle(h);
    await assertTruthful(t, response, () => database().connection.collection(DIRECT_COLLECTION).countDocuments({ text }));
  } finally {
    await h.close();
  }
});

test.serial('a write that gets no pooled connection before the deadline → 503, and is never written, even once the connection is free', async (t) => {
  // One connection: the first write holds it (its reply is held), the second waits for it in the pool.
  const h = await harness({ databaseTimeoutMS: 1500, maxPoolSize: 1 });
  try {
    t.is((await request(h.server).get('/notes/?_limit=1')).status, 200);
    const first = `first-${randomUUID()}`;
    const second = `second-${randomUUID()}`;
    h.beforeWrite = () => h.proxy.hold();
    const firstResponse = request(h.server).post('/notes/').send({ text: first }).then((response) => response);
    await h.proxy.sawRequestContaining(first);
    const secondResponse = await request(h.server).post('/notes/').send({ text: second });
    t.is(secondResponse.status, 503);
    assertGatewayTimeout(t, await firstResponse);

    // The connection frees up: the queued write must not be sent now.
    await settle(h);
    await assertTruthful(t, secondResponse, () => notes().countDocuments({ text: second }));
    await assertTruthful(t, await firstResponse, () => notes().countDocuments({ text: first }));
  } finally {
    await h.close();
  }
});

test.serial('once the write is saved, a database failure while building the answer is 504, never 503', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    t.is((await request(h.server).get('/notes/?_limit=1')).status, 200);
    const text = `after-save-${randomUUID()}`;
    // Saved and acknowledged; then the related author of the answer cannot be read in time.
    h.afterSave = () => h.proxy.hold();
    const response = await request(h.server).post('/notes/').send({ text, author: String(h.authorId) });
    assertGatewayTimeout(t, response);
    await settle(h);
    await assertTruthful(t, response, () => notes().countDocuments({ text }));
    t.is(await notes().countDocuments({ text }), 1);
  } finally {
    await h.close();
  }
});

test.serial('a bulk PUT whose first save was sent and whose second never was → 504, and the second is never written', async (t) => {
  // One connection: the first save takes it and its reply is held; the second waits for it and gives up
  // (waitQueueTimeoutMS) long before the request's deadline, unsent — while the first is still running.
  const h = await harness({ databaseTimeoutMS: 3000, maxPoolSize: 1, waitQueueTimeoutMS: 300 });
  try {
    const batch = `partial-${randomUUID()}`;
    await seed(batch, 2);
    h.beforeWrite = () => h.proxy.hold();
    const bulk = await request(h.server).put(`/notes/?batch=${batch}`).send({ n: 4 });
    assertGatewayTimeout(t, bulk);
    await settle(h);
    await assertTruthful(t, bulk, () => notes().countDocuments({ batch, n: 4 }), 2);
    // The save that was never sent stays unwritten after the connection freed up.
    t.true((await notes().countDocuments({ batch, n: 4 })) <= 1);
  } finally {
    await h.close();
  }
});

test.serial('a connection cut after the write was sent → 504, not 503', async (t) => {
  const h = await harness({ databaseTimeoutMS: 3000 });
  try {
    t.is((await request(h.server).get('/notes/?_limit=1')).status, 200);
    const text = `cut-${randomUUID()}`;
    h.beforeWrite = () => h.proxy.hold();
    const pending = request(h.server).post('/notes/').send({ text }).then((response) => response);
    await h.proxy.sawRequestContaining(text);
    h.proxy.dropConnections();
    h.proxy.release();
    const response = await pending;
    assertGatewayTimeout(t, response);
    await settle(h);
    await assertTruthful(t, response, () => notes().countDocuments({ text }));
  } finally {
    await h.close();
  }
});

test.serial('the database refusing connections → 503 for POST, PUT, DELETE and bulk PUT; nothing is written, ever', async (t) => {
  const h = await harness({ databaseTimeoutMS: 1500 });
  try {
    const batch = `refused-${randomUUID()}`;
    const [updated, deleted] = await seed(batch, 2);
    const text = `refused-post-${randomUUID()}`;
    await h.proxy.stop();
    for (let waited = 0; h.connection.readyState === mongoose.ConnectionStates.connected && waited < 10_000; waited += 50) await sleep(50);

    const post = await request(h.server).post('/notes/').send({ text, batch });
    const put = await request(h.server).put(`/notes/${String(updated)}/`).send({ n: 5 });
    const del = await request(h.server).delete(`/notes/${String(deleted)}/`);
    const bulk = await request(h.server).put(`/notes/?batch=${batch}`).send({ n: 6 });
    for (const response of [post, put, del, bulk]) t.is(response.status, 503);

    await settle(h);
    await assertTruthful(t, post, () => notes().countDocuments({ text }));
    await assertTruthful(t, put, () => notes().countDocuments({ _id: updated, n: 5 }));
    await assertTruthful(t, del, async () => 1 - (await notes().countDocuments({ _id: deleted })));
    await assertTruthful(t, bulk, () => notes().countDocuments({ batch, n: 6 }), 2);
  } finally {
    await h.close();
  }
});

test.serial('concurrent POSTs through a tiny pool while replies are held: every 503 stays unwritten', async (t) => {
  const h = await harness({ databaseTimeoutMS: 800, maxPoolSize: 2 });
  try {
    t.is((await request(h.server).get('/notes/?_limit=1')).status, 200);
    h.beforeWrite = () => h.proxy.hold();
    const texts = Array.from({ length: 12 }, (_, index) => `burst-${index}-${randomUUID()}`);
    const responses = await Promise.all(texts.map((text) => request(h.server).post('/notes/').send({ text })));
    const statuses = responses.map((response) => response.status);
    t.log('statuses:', statuses.join(' '));
    // At most two writes can be on the wire (two connections); the others never left the pool queue.
    t.true(statuses.filter((status) => status === 503).length >= texts.length - 2);
    await settle(h);
    for (const [index, response] of responses.entries()) {
      await assertTruthful(t, response, () => notes().countDocuments({ text: texts[index] }));
    }
  } finally {
    await h.close();
  }
});

test.serial('plain load with a tiny pool and a tight deadline: every 2xx stored once, every 503 never', async (t) => {
  const h = await harness({ databaseTimeoutMS: 300, maxPoolSize: 2 });
  try {
    const texts = Array.from({ length: 40 }, (_, index) => `load-${index}-${randomUUID()}`);
    const responses = await Promise.all(texts.map((text) => request(h.server).post('/notes/').send({ text })));
    t.log('statuses:', responses.map((response) => response.status).join(' '));
    await settle(h);
    for (const [index, response] of responses.entries()) {
      await assertTruthful(t, response, () => notes().countDocuments({ text: texts[index] }));
    }
  } finally {
    await h.close();
  }
});

test.serial('unacknowledged writes (w: 0), which may not carry a session, still work: run without the gate', async (t) => {
  const db = await database.ready;
  // A connection of its own: FerretDB answers some unacknowledged writes anyway, and the driver then
  // reads that stray reply as the answer to the connection's next command.
  const own = await mongoose.createConnection(db.uri, { dbName: db.dbName, monitorCommands: true }).asPromise();
  t.teardown(() => own.close(true));
  const inserts: Record<string, unknown>[] = [];
  own.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'insert') inserts.push(event.command);
  });
  const Quick = own.model('FaultQuick', new mongoose.Schema({ text: String }, { writeConcern: { w: 0 }, collection: 'faultquick' }));
  class QuickResource extends Resource {
    document = Quick;
  }
  class QuickView extends ResourceView {
    resource = QuickResource;
    methods = [methods.Create];
  }
  const api = new MongoRest({ databaseTimeoutMS: 5000 });
  api.register(QuickView, { url: '/quick/' });
  const app = new Koa();
  app.use(api.routes());
  for (const text of ['first', 'second']) {
    const response = await request(app.callback()).post('/quick/').send({ text });
    t.is(response.status, 201);
    t.is(response.body.text, text);
  }
  // The schema's write concern reached the server (Mongoose alone drops it when a session is passed).
  t.deepEqual(inserts.map((command) => command.writeConcern), [{ w: 0 }, { w: 0 }]);
  // Unacknowledged: the server applies it when it gets to it.
  for (let waited = 0; (await db.connection.collection('faultquick').countDocuments()) < 2 && waited < 5000; waited += 100) await sleep(100);
  t.is(await db.connection.collection('faultquick').countDocuments(), 2);
});
