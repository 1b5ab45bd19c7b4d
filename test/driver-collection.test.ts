/**
 * The direct operations (read by id, page, insert, update by id) go to the driver's collection only when
 * Mongoose's wrapper of it (`Model.collection`) would add nothing (lib/query/driver-collection.ts): with
 * `debug` on (the connection's or Mongoose's), an `operation-start`/`operation-end` listener, or a method
 * replaced on the wrapper, every one of them goes through the wrapper — which then prints, emits or runs
 * the replacement — and the answers are the same either way. Issue 15.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods } from '../lib/index.js';
import { uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const Note = connection.model('DcNote', new mongoose.Schema({ tag: String, title: String, n: Number, when: Date }));
  class NoteResource extends Resource {
    document = Note;
  }
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update];
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(NoteView, { url: '/notes/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Note };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);

type Op = 'findOne' | 'find' | 'insertOne' | 'findOneAndUpdate';
const ops: Op[] = ['findOne', 'find', 'insertOne', 'findOneAndUpdate'];

/**
 * Counts the calls of each operation that go through the wrapper's own (prototype) method, until `stop`.
 * (The wrapper passes every call on to the driver's collection, so the driver cannot tell the two apart.)
 */
function countWrapperCalls(): { calls: Record<Op, number>; stop(): void } {
  const prototype = Object.getPrototypeOf(env().Note.collection) as Record<Op, (...args: unknown[]) => unknown>;
  const calls = { findOne: 0, find: 0, insertOne: 0, findOneAndUpdate: 0 };
  const originals = ops.map((op) => [op, prototype[op]] as const);
  for (const [op, original] of originals) {
    prototype[op] = function (this: unknown, ...args: unknown[]) {
      calls[op]++;
      return original.apply(this, args);
    };
  }
  return { calls, stop: () => originals.forEach(([op, original]) => (prototype[op] = original)) };
}

/** One request of each direct operation; their answers with the ids and times taken out. */
async function exercise(tag: string): Promise<unknown[]> {
  const created = await agent().post('/api/notes/').send({ tag, title: 'first', n: 1, when: '2024-05-06T07:08:09.000Z' });
  const url = `/api/notes/${created.body.id as string}/`;
  const fetched = await agent().get(url);
  const updated = await agent().put(url).send({ title: 'second', n: 2 });
  const listed = await agent().get('/api/notes/?_limit=100');
  const mine = (listed.body.data as Record<string, unknown>[]).filter((doc) => doc.tag === tag);
  const strip = (body: Record<string, unknown>) => ({ ...body, id: typeof body.id });
  return [created.status, strip(created.body), fetched.status, strip(fetched.body), updated.status, strip(updated.body), listed.status, mine.map(strip)];
}

/** What makes the wrapper do something of its own, set up and undone. */
const conditions: [string, () => () => void][] = [
  [
    "the connection's debug",
    () => {
      const printed: unknown[] = [];
      env().connection.set('debug', (...args: unknown[]) => printed.push(args));
      // Unset, not `false`: a connection's `false` would hide Mongoose's own debug from the next test.
      return () => env().connection.set('debug', undefined);
    },
  ],
  [
    "Mongoose's debug",
    () => {
      // The Mongoose instance of the connection (the suite's connections may not be the default instance's).
      const base = (env().connection as unknown as { base: typeof mongoose }).base;
      base.set('debug', () => undefined);
      return () => base.set('debug', false);
    },
  ],
  [
    'an operation-start listener',
    () => {
      const listener = () => undefined;
      env().connection.on('operation-start', listener);
      return () => env().connection.off('operation-start', listener);
    },
  ],
  [
    'an operation-end listener',
    () => {
      const listener = () => undefined;
      env().connection.on('operation-end', listener);
      return () => env().connection.off('operation-end', listener);
    },
  ],
  [
    'methods replaced on the wrapper',
    () => {
      const wrapper = env().Note.collection as unknown as Record<Op, (...args: unknown[]) => unknown>;
      const prototype = Object.getPrototypeOf(wrapper) as typeof wrapper;
      for (const op of ops) wrapper[op] = (...args: unknown[]) => prototype[op].apply(wrapper, args);
      return () => ops.forEach((op) => delete wrapper[op]);
    },
  ],
];

test.serial('with nothing of the wrapper in use, the direct operations skip it', async (t) => {
  const counter = countWrapperCalls();
  try {
    const answers = await exercise(uniqueTag('plain'));
    t.deepEqual(answers.filter((_, index) => index % 2 === 0), [201, 200, 200, 200]);
    t.deepEqual(counter.calls, { findOne: 0, find: 0, insertOne: 0, findOneAndUpdate: 0 });
  } finally {
    counter.stop();
  }
});

for (const [name, setUp] of conditions) {
  test.serial(`${name}: every direct operation goes through the wrapper, with the same answers`, async (t) => {
    const plain = await exercise(uniqueTag('plain'));
    const undo = setUp();
    const counter = countWrapperCalls();
    try {
      const wrapped = await exercise(uniqueTag('wrapped'));
      // The fetch and the PUT's load read by id; the list reads a page; the POST inserts; the PUT updates.
      t.deepEqual(counter.calls, { findOne: 2, find: 1, insertOne: 1, findOneAndUpdate: 1 });
      // The same answers, the tag aside.
      const untagged = (answers: unknown[]) => JSON.stringify(answers).replace(/"(plain|wrapped)-[0-9a-f]+"/g, '"tag"');
      t.is(untagged(wrapped), untagged(plain));
    } finally {
      counter.stop();
      undo();
    }
  });
}
