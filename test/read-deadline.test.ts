/**
 * Reads the client stopped waiting for must not keep the server busy (issue 10, item 2): every read the
 * library sends carries `maxTimeMS` equal to the time the request has left, so after a burst of slow
 * reads that timed out (503) the server is free again — the next cheap request is answered.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { MongoRest, Resource, ResourceView, methods, ops } from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';

const database = useTestDatabase(test, import.meta.url);

interface StartedCommand {
  commandName: string;
  command: Record<string, unknown>;
}

test('every read carries maxTimeMS within the request deadline: lists, counts, fetches, reference checks, related loads', async (t) => {
  const db = await database.ready;
  // A connection of the test's own, with the driver's command monitoring: what is really sent.
  const connection = await mongoose.createConnection(db.uri, { dbName: db.dbName, monitorCommands: true }).asPromise();
  t.teardown(() => connection.close(true));
  const started: StartedCommand[] = [];
  connection.getClient().on('commandStarted', (event) => started.push({ commandName: event.commandName, command: event.command }));

  const Author = connection.model('RdAuthor', new mongoose.Schema({ name: String }, { collection: 'rd_authors' }));
  const Tag = connection.model('RdTag', new mongoose.Schema({ label: String }, { collection: 'rd_tags' }));
  const Book = connection.model(
    'RdBook',
    new mongoose.Schema(
      {
        title: String,
        author: { type: mongoose.Schema.Types.ObjectId, ref: 'RdAuthor' },
        tag: { type: mongoose.Schema.Types.ObjectId, ref: 'RdTag' },
      },
      { collection: 'rd_books' },
    ),
  );
  class AuthorResource extends Resource {
    document = Author;
  }
  class BookResource extends Resource {
    document = Book;
    relatedResources = { author: AuthorResource };
    filters = { title: [ops.IContains] };
  }
  class BookView extends ResourceView {
    resource = BookResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
  }
  const timeoutMS = 4000;
  const api = new MongoRest({ databaseTimeoutMS: timeoutMS });
  api.register(BookView, { url: '/books/' });
  const app = new Koa();
  app.use(api.routes());
  const server = app.callback();

  const author = await Author.create({ name: 'Ann' });
  const tag = await Tag.create({ label: 'x' });
  started.length = 0;

  const created = await request(server).post('/books/').send({ title: 'One', author: String(author._id), tag: String(tag._id) });
  t.is(created.status, 201);
  const id = created.body.id as string;
  t.is((await request(server).get('/books/?_count=1&title__icontains=on')).status, 200);
  t.is((await request(server).get(`/books/${id}/`)).status, 200);
  t.is((await request(server).put(`/books/${id}/`).send({ title: 'Two', tag: String(tag._id) })).status, 200);
  t.is((await request(server).put('/books/?title__icontains=two').send({ title: 'Three' })).status, 200);
  t.is((await request(server).delete(`/books/${id}/`)).status, 204);

  const reads = started.filter(({ commandName }) => ['find', 'aggregate', 'count'].includes(commandName));
  const target = (read: StartedCommand) => String(read.command[read.commandName]);
  // What was read: the related author (reference check and output), the plain `ref` check on tags, the
  // books themselves (lists, fetches, loads before writes) and the count of `_count=1`.
  t.true(reads.some((read) => read.commandName === 'find' && target(read) === 'rd_authors'));
  t.true(reads.some((read) => read.commandName === 'find' && target(read) === 'rd_tags'));
  t.true(reads.some((read) => read.commandName === 'find' && target(read) === 'rd_books'));
  t.true(reads.some((read) => read.commandName === 'aggregate' && target(read) === 'rd_books'));
  for (const read of reads) {
    const maxTimeMS = read.command.maxTimeMS;
    t.true(typeof maxTimeMS === 'number' && maxTimeMS >= 1 && maxTimeMS <= timeoutMS, `${read.commandName} ${target(read)}: maxTimeMS ${String(maxTimeMS)}`);
  }
});

test('after a burst of reads that time out, a cheap fetch is answered: the server stopped the abandoned reads', async (t) => {
  const db = await database.ready;
  // As many connections as the burst has reads: without maxTimeMS every connection stays busy with an
  // abandoned search for seconds, and the fetch waits for one until its own deadline (503).
  const connection = await mongoose.createConnection(db.uri, { dbName: db.dbName, maxPoolSize: 4 }).asPromise();
  t.teardown(() => connection.close(true));
  const Item = connection.model('RdItem', new mongoose.Schema({ text: String }, { collection: 'rd_items' }));
  // Long values and no match: a case-insensitive search scans every value at every position (about
  // 2 s for one search alone on FerretDB here, longer when four run at once).
  const docs = Array.from({ length: 2000 }, (_, index) => ({ text: `${'ab'.repeat(1000)}${index}` }));
  for (let start = 0; start < docs.length; start += 500) await Item.collection.insertMany(docs.slice(start, start + 500));
  const cheap = await Item.create({ text: 'cheap' });

  class ItemResource extends Resource {
    document = Item;
    filters = { text: [ops.IContains] };
  }
  class ItemView extends ResourceView {
    resource = ItemResource;
    methods = [methods.List, methods.Fetch];
  }
  const api = new MongoRest({ databaseTimeoutMS: 1000 });
  api.register(ItemView, { url: '/items/' });
  const app = new Koa();
  app.use(api.routes());
  const server = app.callback();

  const needle = `${'a'.repeat(199)}z`;
  const burst = await Promise.all(Array.from({ length: 4 }, () => request(server).get(`/items/?text__icontains=${needle}&_fields=id`)));
  t.deepEqual(
    burst.map((response) => response.status),
    [503, 503, 503, 503],
  );
  const fetched = await request(server).get(`/items/${String(cheap._id)}/`);
  t.is(fetched.status, 200);
  t.is(fetched.body.text, 'cheap');
});
