/**
 * Idempotency keys (issue 10, item 1; docs/http.md "Idempotency keys"): with `new MongoRest({ idempotency })`
 * a POST/PUT/DELETE carrying `Idempotency-Key` is applied at most once; retries replay the first answer
 * (2xx and 4xx), a different request under the same key is 422, a retry while the first runs is 409, keys
 * are separate per principal, and a retry after an unknown outcome (504 through the TCP proxy, or a bug
 * after the write) finds the earlier write instead of applying it again.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  BearerAuthentication,
  MongoRest,
  Resource,
  ResourceView,
  ValidationError,
  methods,
  type AnyDocument,
  type MongoRestOptions,
  type PlainDocument,
  type RequestContext,
} from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);
// Serial: every test writes to the same idempotency collection; on the shared 2-core test machine a burst
// of concurrent writers only makes the run slower and flakier, never more thorough.

const KEY_LENGTH_ERROR = { error: 'The Idempotency-Key header must be 1 to 255 characters long.' };
const KEY_REUSED_ERROR = { error: 'This Idempotency-Key was already used for a different request.' };
const IN_FLIGHT_ERROR = { error: 'A request with this Idempotency-Key is still being processed; retry once it has been answered.' };
const CHANGED_MEANWHILE = { error: 'The document was changed by another request; fetch it and try again.' };
const UNKNOWN_OUTCOME = { error: 'The database did not answer in time; the change may or may not have been saved.' };
const INTERNAL = { error: 'Internal Server Error' };

/** A promise a test resolves by hand: holds a request inside the pipeline. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let reached: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, opened, arrived, reached };
}

interface Harness {
  server: ReturnType<Koa['callback']>;
  Note: mongoose.Model<PlainDocument>;
  /** `validateRequest` waits on the gate registered for the body's `text`. */
  gates: Map<string, ReturnType<typeof gate>>;
  /** Texts whose next serialization throws once (a bug after the write). */
  failOnce: Set<string>;
  unexpected: unknown[];
  /** Called by `hasAddPermission`: after the request's reads and its idempotency record, right before the insert. */
  beforeInsert: () => void;
}

let models = 0;

function buildApp(connection: Connection, options: MongoRestOptions = { idempotency: true }, Rest: typeof MongoRest = TestMongoRest): Harness {
  const Note = connection.model<PlainDocument>(
    `IdemNote${models++}`,
    new mongoose.Schema({ text: String, slug: { type: String, unique: true, sparse: true }, count: Number }),
  );
  const gates = new Map<string, ReturnType<typeof gate>>();
  const failOnce = new Set<string>();
  const unexpected: unknown[] = [];
  const harness = { beforeInsert: () => undefined } as Pick<Harness, 'beforeInsert'>;

  class NoteResource extends Resource {
    document = Note;
    override fields = ['id', 'text', 'slug', 'count'];
    override async validateRequest(_ctx: RequestContext, data: PlainDocument) {
      if (data.count === -1) throw new ValidationError({ 'field-errors': { count: 'must not be negative' } });
      const held = typeof data.text === 'string' ? gates.get(data.text) : undefined;
      if (held) {
        held.reached();
        await held.opened;
      }
    }
    override async serialize(doc: PlainDocument, ctx: RequestContext) {
      if (typeof doc.text === 'string' && failOnce.delete(doc.text)) throw new Error('bug after the write');
      return super.serialize(doc, ctx);
    }
    override async deleteObject(ctx: RequestContext, doc: AnyDocument) {
      await super.deleteObject(ctx, doc);
      if (typeof doc.text === 'string' && failOnce.delete(doc.text)) throw new Error('bug after the delete');
    }
  }
  const bearer = new BearerAuthentication({ tokens: { 'alice-token': { id: 'alice' }, 'bob-token': { id: 'bob' } } });
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Create, methods.Fetch, methods.Update, methods.Patch, methods.BulkUpdate, methods.Delete];
    override authenticationMethods = [bearer, AnonymousAuthentication];
    override hasAddPermission() {
      harness.beforeInsert();
      return true;
    }
  }
  const api = new Rest({ onError: (error) => unexpected.push(error), ...options });
  api.register(NoteView, { url: '/notes/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return Object.assign(harness, { server: app.callback(), Note, gates, failOnce, unexpected });
}

let harness: Harness | undefined;
function app(): Harness {
  harness ??= buildApp(database().connection);
  return harness;
}

const key = () => randomUUID();
const tag = () => `n-${randomUUID().slice(0, 8)}`;

async function count(Note: mongoose.Model<PlainDocument>, filter: Record<string, unknown>): Promise<number> {
  return Note.countDocuments(filter);
}

test.serial('a retried POST replays 201, Location and body without creating a second document', async (t) => {
  const { server, Note } = app();
  const k = key();
  const text = tag();
  const first = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text, count: 1 });
  t.is(first.status, 201);
  t.deepEqual(first.body, { id: first.body.id, text, slug: null, count: 1 });
  t.is(first.headers.location, `/notes/${first.body.id}/`);
  t.is(first.headers['idempotent-replayed'], undefined);

  const retry = await request(server).post('/notes/').set('Idempotency-Key', k).send({ count: 1, text });
  t.is(retry.status, 201);
  t.deepEqual(retry.body, first.body);
  t.is(retry.headers.location, first.headers.location);
  t.is(typeof first.headers.etag, 'string');
  t.is(retry.headers.etag, first.headers.etag);
  t.is(retry.headers['idempotent-replayed'], 'true');
  t.is(retry.headers['content-type'], 'application/json; charset=utf-8');
  t.is(await count(Note, { text }), 1);
});

test.serial('a retried PUT replays 200 with the first answer and does not write again', async (t) => {
  const { server } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text, count: 1 });
  const url = `/notes/${created.body.id}/`;
  const k = key();
  const first = await request(server).put(url).set('Idempotency-Key', k).send({ count: 2 });
  t.is(first.status, 200);
  t.deepEqual(first.body, { id: created.body.id, text, slug: null, count: 2 });
  // Someone else changes the document; the retry must not put its value back.
  t.is((await request(server).put(url).send({ count: 3 })).status, 200);

  const retry = await request(server).put(url).set('Idempotency-Key', k).send({ count: 2 });
  t.is(retry.status, 200);
  t.deepEqual(retry.body, first.body);
  t.is(retry.headers['idempotent-replayed'], 'true');
  t.is((await request(server).get(url)).body.count, 3);
});

test.serial('a retried PATCH replays 200 with the first answer and does not write again', async (t) => {
  const { server } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text, count: 1 });
  const url = `/notes/${created.body.id}/`;
  const k = key();
  const patch = [{ op: 'replace', path: '/count', value: 7 }];
  const first = await request(server).patch(url).set('Idempotency-Key', k).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(patch));
  t.is(first.status, 200);
  t.deepEqual(first.body, { id: created.body.id, text, slug: null, count: 7 });
  t.is((await request(server).patch(url).send({ count: 8 })).status, 200);
  const retry = await request(server).patch(url).set('Idempotency-Key', k).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(patch));
  t.deepEqual([retry.status, retry.body, retry.headers['idempotent-replayed']], [200, first.body, 'true']);
  t.is((await request(server).get(url)).body.count, 8);
});

test.serial('a retried DELETE replays 204 instead of answering 404', async (t) => {
  const { server, Note } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text });
  const url = `/notes/${created.body.id}/`;
  const k = key();
  const first = await request(server).delete(url).set('Idempotency-Key', k);
  t.is(first.status, 204);
  t.is(first.text, '');
  const retry = await request(server).delete(url).set('Idempotency-Key', k);
  t.is(retry.status, 204);
  t.is(retry.text, '');
  t.is(retry.headers['idempotent-replayed'], 'true');
  t.is(await count(Note, { text }), 0);
  // Without the key, the same DELETE is a 404 now.
  t.is((await request(server).delete(url)).status, 404);
});

test.serial('a 4xx answer is stored and replayed, even once the request would succeed', async (t) => {
  const { server, Note } = app();
  const slug = tag();
  const taken = await request(server).post('/notes/').send({ text: 'holder', slug });
  t.is(taken.status, 201);
  const k = key();
  const conflict = { error: 'A document with the same unique value already exists.', 'field-errors': { slug: 'already exists' } };
  const first = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text: 'second', slug });
  t.is(first.status, 409);
  t.deepEqual(first.body, conflict);
  t.is((await request(server).delete(`/notes/${taken.body.id}/`)).status, 204);

  const retry = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text: 'second', slug });
  t.is(retry.status, 409);
  t.deepEqual(retry.body, conflict);
  t.is(retry.headers['idempotent-replayed'], 'true');
  t.is(await count(Note, { slug }), 0);

  const invalidKey = key();
  const invalid = await request(server).post('/notes/').set('Idempotency-Key', invalidKey).send({ text: 'x', count: -1 });
  t.is(invalid.status, 400);
  t.deepEqual(invalid.body, { 'field-errors': { count: 'must not be negative' } });
  const again = await request(server).post('/notes/').set('Idempotency-Key', invalidKey).send({ text: 'x', count: -1 });
  t.deepEqual([again.status, again.body, again.headers['idempotent-replayed']], [400, invalid.body, 'true']);
});

test.serial('the same key with another body, URL or method answers 422 and writes nothing', async (t) => {
  const { server, Note } = app();
  const text = tag();
  const k = key();
  const first = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text, count: 1 });
  t.is(first.status, 201);
  const otherBody = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text, count: 2 });
  t.is(otherBody.status, 422);
  t.deepEqual(otherBody.body, KEY_REUSED_ERROR);
  const otherUrl = await request(server).post('/notes/?_fields=text').set('Idempotency-Key', k).send({ text, count: 1 });
  t.deepEqual([otherUrl.status, otherUrl.body], [422, KEY_REUSED_ERROR]);
  const otherMethod = await request(server).delete(`/notes/${first.body.id}/`).set('Idempotency-Key', k);
  t.deepEqual([otherMethod.status, otherMethod.body], [422, KEY_REUSED_ERROR]);
  t.is(await count(Note, { text }), 1);
  t.is((await Note.findOne({ text }).lean())?.count, 1);
});

test.serial('keys that are empty or longer than 255 characters answer 400 and write nothing', async (t) => {
  const { server, Note } = app();
  const text = tag();
  for (const bad of ['', 'k'.repeat(256)]) {
    const response = await request(server).post('/notes/').set('Idempotency-Key', bad).send({ text });
    t.is(response.status, 400, JSON.stringify(bad.length));
    t.deepEqual(response.body, KEY_LENGTH_ERROR);
  }
  t.is(await count(Note, { text }), 0);
  const longest = 'k'.repeat(250) + randomUUID().slice(0, 5);
  const ok = await request(server).post('/notes/').set('Idempotency-Key', longest).send({ text });
  t.is(ok.status, 201);
  const replay = await request(server).post('/notes/').set('Idempotency-Key', longest).send({ text });
  t.deepEqual([replay.status, replay.body], [201, ok.body]);
  t.is(await count(Note, { text }), 1);
});

test.serial('a retry while the first request is still running answers 409; once it is answered, the retry replays', async (t) => {
  const { server, Note, gates } = app();
  const text = tag();
  const held = gate();
  gates.set(text, held);
  const k = key();
  const first = request(server).post('/notes/').set('Idempotency-Key', k).send({ text }).then((response) => response);
  await held.arrived;
  const during = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.is(during.status, 409);
  t.deepEqual(during.body, IN_FLIGHT_ERROR);
  held.open();
  const answered = await first;
  t.is(answered.status, 201);
  gates.delete(text);
  const after = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.deepEqual([after.status, after.body], [201, answered.body]);
  t.is(await count(Note, { text }), 1);
});

test.serial('keys are separate per principal: two users and anonymous may send the same key', async (t) => {
  const { server, Note } = app();
  const k = key();
  const alice = await request(server).post('/notes/').set('Authorization', 'Bearer alice-token').set('Idempotency-Key', k).send({ text: 'from alice' });
  const bob = await request(server).post('/notes/').set('Authorization', 'Bearer bob-token').set('Idempotency-Key', k).send({ text: 'from bob' });
  const anonymous = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text: 'from nobody' });
  t.deepEqual([alice.status, bob.status, anonymous.status], [201, 201, 201]);
  t.is(new Set([alice.body.id, bob.body.id, anonymous.body.id]).size, 3);
  const aliceAgain = await request(server).post('/notes/').set('Authorization', 'Bearer alice-token').set('Idempotency-Key', k).send({ text: 'from alice' });
  t.deepEqual([aliceAgain.status, aliceAgain.body, aliceAgain.headers['idempotent-replayed']], [201, alice.body, 'true']);
  // Bob reusing his key with Alice's body is his own mismatch, not a replay of Alice's answer.
  const bobOther = await request(server).post('/notes/').set('Authorization', 'Bearer bob-token').set('Idempotency-Key', k).send({ text: 'from alice' });
  t.deepEqual([bobOther.status, bobOther.body], [422, KEY_REUSED_ERROR]);
  t.is(await count(Note, { text: { $in: ['from alice', 'from bob', 'from nobody'] } }), 3);
});

test.serial('without the header, or with idempotency off, nothing changes: every POST creates', async (t) => {
  const { server, Note } = app();
  const text = tag();
  t.is((await request(server).post('/notes/').send({ text })).status, 201);
  t.is((await request(server).post('/notes/').send({ text })).status, 201);
  t.is(await count(Note, { text }), 2);

  const off = buildApp(database().connection, {});
  const k = key();
  const offText = tag();
  const first = await request(off.server).post('/notes/').set('Idempotency-Key', k).send({ text: offText });
  const second = await request(off.server).post('/notes/').set('Idempotency-Key', k).send({ text: offText });
  t.deepEqual([first.status, second.status], [201, 201]);
  t.not(first.body.id, second.body.id);
  t.is(second.headers['idempotent-replayed'], undefined);
  // Even an over-long key is not looked at.
  t.is((await request(off.server).post('/notes/').set('Idempotency-Key', 'k'.repeat(300)).send({ text: offText })).status, 201);
  t.is(await count(off.Note, { text: offText }), 3);
});

test.serial('a create whose answer failed after the write (500): the retry finds the document instead of creating another', async (t) => {
  const { server, Note, failOnce, unexpected } = app();
  const text = tag();
  failOnce.add(text);
  const k = key();
  const first = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.deepEqual([first.status, first.body], [500, INTERNAL]);
  t.true(unexpected.some((error) => (error as Error).message === 'bug after the write'));
  t.is(await count(Note, { text }), 1);

  const retry = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.is(retry.status, 201);
  const stored = await Note.findOne({ text }).lean();
  t.deepEqual(retry.body, { id: String(stored!._id), text, slug: null, count: null });
  t.is(retry.headers.location, `/notes/${String(stored!._id)}/`);
  const again = await request(server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.deepEqual([again.status, again.body, again.headers['idempotent-replayed']], [201, retry.body, 'true']);
  t.is(await count(Note, { text }), 1);
});

test.serial('an update whose answer failed after the write (500): the retry sees the version moved on and does not apply it again', async (t) => {
  const { server, Note, failOnce } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text, count: 1 });
  const url = `/notes/${created.body.id}/`;
  failOnce.add(text);
  const k = key();
  const first = await request(server).put(url).set('Idempotency-Key', k).send({ count: 2 });
  t.is(first.status, 500);
  const afterFirst = await Note.collection.findOne({ text });
  t.is(afterFirst?.count, 2);

  const retry = await request(server).put(url).set('Idempotency-Key', k).send({ count: 2 });
  t.is(retry.status, 200);
  t.deepEqual(retry.body, { id: created.body.id, text, slug: null, count: 2 });
  // Applied once: the version moved once (a second save would have moved it again).
  t.is((await Note.collection.findOne({ text }))?.__v, afterFirst?.__v);
  const again = await request(server).put(url).set('Idempotency-Key', k).send({ count: 2 });
  t.deepEqual([again.status, again.body], [200, retry.body]);
});

test.serial('a delete whose answer failed after the write (500): the retry answers 204, not 404', async (t) => {
  const { server, Note, failOnce } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text });
  const url = `/notes/${created.body.id}/`;
  failOnce.add(text);
  const k = key();
  t.is((await request(server).delete(url).set('Idempotency-Key', k)).status, 500);
  t.is(await count(Note, { text }), 0);
  const retry = await request(server).delete(url).set('Idempotency-Key', k);
  t.is(retry.status, 204);
  const again = await request(server).delete(url).set('Idempotency-Key', k);
  t.deepEqual([again.status, again.headers['idempotent-replayed']], [204, 'true']);
});

test.serial('a keyed update applies only to the version it read: a change landing in between answers 409, replayed', async (t) => {
  const { server, gates } = app();
  const text = tag();
  const created = await request(server).post('/notes/').send({ text: 'original', count: 1 });
  const url = `/notes/${created.body.id}/`;
  const held = gate();
  gates.set(text, held);
  const k = key();
  const slow = request(server).put(url).set('Idempotency-Key', k).send({ text }).then((response) => response);
  await held.arrived;
  // Another keyed update moves the version on while the first one waits between its read and its save.
  const other = await request(server).put(url).set('Idempotency-Key', key()).send({ count: 5 });
  t.is(other.status, 200);
  held.open();
  const late = await slow;
  t.deepEqual([late.status, late.body], [409, CHANGED_MEANWHILE]);
  gates.delete(text);
  t.deepEqual((await request(server).get(url)).body, { id: created.body.id, text: 'original', slug: null, count: 5 });
  const retry = await request(server).put(url).set('Idempotency-Key', k).send({ text });
  t.deepEqual([retry.status, retry.body, retry.headers['idempotent-replayed']], [409, CHANGED_MEANWHILE, 'true']);
});

test.serial('completed keys expire after ttlSeconds: the same key then runs as new', async (t) => {
  const db = database();
  const short = buildApp(db.connection, { idempotency: { ttlSeconds: 0.5 } });
  const text = tag();
  const k = key();
  const first = await request(short.server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.is(first.status, 201);
  const replay = await request(short.server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.deepEqual([replay.status, replay.body], [201, first.body]);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const fresh = await request(short.server).post('/notes/').set('Idempotency-Key', k).send({ text });
  t.is(fresh.status, 201);
  t.not(fresh.body.id, first.body.id);
  t.is(fresh.headers['idempotent-replayed'], undefined);
  t.is(await count(short.Note, { text }), 2);

  const indexes = await db.connection.db!.collection('mongorest_idempotency').indexes();
  const ttl = indexes.find((index) => index.name === 'expiresAt_ttl');
  if (db.isFerretDB) {
    // FerretDB v1 refuses TTL indexes ("expireAfterSeconds is not implemented yet"); expired records are
    // removed when next used, which is what the fresh create above went through.
    t.log('known-unsupported on FerretDB: TTL index on mongorest_idempotency');
    t.is(ttl, undefined);
  } else {
    t.deepEqual([ttl?.key, ttl?.expireAfterSeconds], [{ expiresAt: 1 }, 0]);
  }
});

test.serial('idempotency settings are checked when MongoRest is constructed', (t) => {
  t.throws(() => new MongoRest({ idempotency: { ttlSeconds: 0 } }), {
    instanceOf: TypeError,
    message: 'idempotency.ttlSeconds must be a positive number of seconds (got 0).',
  });
  t.throws(() => new MongoRest({ idempotency: { ttlSeconds: Number.NaN } }), { instanceOf: TypeError });
  t.notThrows(() => new MongoRest({ idempotency: { ttlSeconds: 60 } }));
});

test.serial('through the proxy: a POST whose reply is held answers 504; the retry with the same key answers 201 with the one document', async (t) => {
  const db = await database.ready;
  const proxy = await TcpProxy.start(db.uri);
  const connection = mongoose.createConnection(proxy.uri(db.dbName), {
    heartbeatFrequencyMS: 500,
    // Longer than the hold: a held heartbeat must not make the driver give the server up.
    connectTimeoutMS: 20_000,
  });
  connection.on('error', () => undefined);
  try {
    await connection.asPromise();
    const held = buildApp(connection, { idempotency: true, databaseTimeoutMS: 1000 }, MongoRest);
    await held.Note.init();
    const text = tag();
    const k = key();
    // The insert reaches the server (and is stored); its reply is held in the proxy.
    held.beforeInsert = () => proxy.hold();
    const first = await request(held.server).post('/notes/').set('Idempotency-Key', k).send({ text });
    t.is(first.status, 504);
    t.deepEqual(first.body, UNKNOWN_OUTCOME);
    t.is(first.headers['retry-after'], undefined);
    held.beforeInsert = () => undefined;
    proxy.release();

    const post = () => request(held.server).post('/notes/').set('Idempotency-Key', k).send({ text });
    // The first request ended its lease as it answered 504, but that update may itself have been stuck
    // behind the hold (a new pool connection's handshake is held too): then the retry is 409 until the
    // lease (4 × databaseTimeoutMS) runs out, as a client retrying on 409 would see.
    let retry = await post();
    for (let round = 0; retry.status === 409 && round < 40; round++) {
      t.deepEqual(retry.body, IN_FLIGHT_ERROR);
      await new Promise((resolve) => setTimeout(resolve, 250));
      retry = await post();
    }
    const stored = await database().connection.collection(held.Note.collection.collectionName).find({ text }).toArray();
    t.is(stored.length, 1);
    t.is(retry.status, 201);
    t.deepEqual(retry.body, { id: String(stored[0]!._id), text, slug: null, count: null });
    t.is(retry.headers.location, `/notes/${String(stored[0]!._id)}/`);

    const again = await post();
    t.deepEqual([again.status, again.body, again.headers['idempotent-replayed']], [201, retry.body, 'true']);
    t.is(await held.Note.countDocuments({ text }), 1);
  } finally {
    proxy.release();
    await connection.close(true).catch(() => undefined);
    await proxy.stop();
  }
});
