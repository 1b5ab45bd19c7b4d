/**
 * Fast paths give exactly what the general path gives (issue 15): the synchronous page serializers (plain
 * fields; stored fields and relations) versus the general per-document one, the shallow copy of a saved document versus Mongoose's `toObject`, and the
 * Mongoose features a write must still run — `pre('save')` middleware, defaults, validators, timestamps
 * and the version key — on create and update through the API.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type PlainDocument, type RequestContext } from '../lib/index.js';
import { plainOf } from '../lib/handlers/shared.js';
import { uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const noteSchema = new mongoose.Schema(
    {
      tag: String,
      title: { type: String, required: true, maxlength: 40 },
      body: { type: String, default: 'empty' },
      score: { type: Number, min: 0, default: 0 },
      tags: { type: [String], default: [] },
      seen: [Date],
      owner: { type: mongoose.Schema.Types.ObjectId },
      done: Boolean,
      slug: String,
      saves: { type: Number, default: 0 },
      meta: { color: String, size: Number },
      parts: [{ name: String }],
      extra: mongoose.Schema.Types.Mixed,
    },
    { timestamps: true },
  );
  // Middleware must keep running on every write the API makes.
  noteSchema.pre('save', function () {
    this.slug = String(this.title).toLowerCase().replace(/\W+/g, '-');
    this.saves = (this.saves ?? 0) + 1;
  });
  const Note = connection.model('Note', noteSchema);
  /** Only scalars and arrays of scalars: the documents the shallow copy takes. */
  const Flat = connection.model(
    'Flat',
    new mongoose.Schema({ tag: String, title: String, score: Number, tags: [String], seen: [Date], owner: mongoose.Schema.Types.ObjectId, done: Boolean }, { timestamps: true }),
  );

  class NoteResource extends Resource {
    document = Note;
    override renameFields = { score: 'points' };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  /** The same resource with a pass-through `serialize`: lists take the general (batch) path. */
  class GeneralNoteResource extends NoteResource {
    override async serialize(doc: PlainDocument, ctx: RequestContext) {
      return super.serialize(doc, ctx);
    }
  }
  /** Overrides answering with thenables that are not native promises (a promise library's, say). */
  class ThenableNoteResource extends NoteResource {
    override serialize(doc: PlainDocument, ctx: RequestContext) {
      const out = super.serialize(doc, ctx);
      return { then: (resolve: (value: PlainDocument) => unknown, reject: (error: unknown) => unknown) => out.then(resolve, reject) } as unknown as Promise<PlainDocument>;
    }
    override serializeMany(docs: PlainDocument[], ctx: RequestContext) {
      const out = super.serializeMany(docs, ctx);
      return { then: (resolve: (value: PlainDocument[]) => unknown, reject: (error: unknown) => unknown) => out.then(resolve, reject) } as unknown as Promise<PlainDocument[]>;
    }
  }
  const all = [methods.List, methods.Fetch, methods.Create, methods.Update];
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = all;
  }
  class GeneralNoteView extends ResourceView {
    resource = GeneralNoteResource;
    methods = all;
  }
  class ThenableNoteView extends ResourceView {
    resource = ThenableNoteResource;
    methods = all;
  }
  // Relations: a single reference, an array of references, a renamed one and an embedded document.
  const Person = connection.model('Person', new mongoose.Schema({ tag: String, name: String, rank: Number }));
  const Linked = connection.model(
    'Linked',
    new mongoose.Schema({
      tag: String,
      title: String,
      owner: { type: mongoose.Schema.Types.ObjectId, ref: 'Person' },
      watchers: [{ type: mongoose.Schema.Types.ObjectId, ref: 'Person' }],
      editor: { type: mongoose.Schema.Types.ObjectId, ref: 'Person' },
      lead: new mongoose.Schema({ name: String, rank: Number }, { _id: false }),
      note: String,
    }),
  );
  class PersonResource extends Resource {
    document = Person;
    override fields = ['id', 'name', 'rank'];
    override renameFields = { rank: 'level' };
  }
  class LinkedResource extends Resource {
    document = Linked;
    override renameFields = { editor: 'editor_id' };
    override relatedResources = { owner: PersonResource, watchers: PersonResource, editor: PersonResource, lead: PersonResource };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  /** The same resource with a pass-through `serialize`: pages with relations take the per-document path. */
  class GeneralLinkedResource extends LinkedResource {
    override async serialize(doc: PlainDocument, ctx: RequestContext) {
      return super.serialize(doc, ctx);
    }
  }
  class LinkedView extends ResourceView {
    resource = LinkedResource;
    methods = [methods.List, methods.Fetch];
  }
  class GeneralLinkedView extends ResourceView {
    resource = GeneralLinkedResource;
    methods = [methods.List, methods.Fetch];
  }

  const api = new TestMongoRest({ prefix: '/api' });
  api.register(NoteView, { url: '/notes/' });
  api.register(GeneralNoteView, { url: '/general-notes/', name: 'general-notes' });
  api.register(ThenableNoteView, { url: '/thenable-notes/', name: 'thenable-notes' });
  api.register(LinkedView, { url: '/linked/' });
  api.register(GeneralLinkedView, { url: '/general-linked/', name: 'general-linked' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Note, Flat, Person, Linked };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);

async function seedNotes(tag: string) {
  const owner = new mongoose.Types.ObjectId();
  await env().Note.create([
    { tag, title: 'All set', body: 'b', score: 3, tags: ['a', 'b'], seen: [new Date('2024-01-02T03:04:05Z')], owner, done: true, meta: { color: 'red', size: 2 }, parts: [{ name: 'p' }], extra: { nested: [1, { x: null }] } },
    { tag, title: 'Bare' },
    { tag, title: 'Empty arrays', tags: [], seen: [], meta: {}, extra: {} },
  ]);
  // A document written without Mongoose: missing fields, no version key, no timestamps.
  await env().Note.collection.insertOne({ tag, title: 'Raw', score: 1.5 });
}

test('the plain page serializer and the general one give identical lists, for every _fields choice', async (t) => {
  const tag = uniqueTag('notes');
  await seedNotes(tag);
  for (const fields of [undefined, 'id,title', 'points,tags,meta', 'owner,seen,extra,parts', '_all', 'nothing,title', 'createdAt,updatedAt,__v']) {
    const query = fields === undefined ? '' : `?_fields=${fields}`;
    const plain = await agent().get(`/api/notes/${query}`).set('X-Tag', tag);
    const general = await agent().get(`/api/general-notes/${query}`).set('X-Tag', tag);
    t.is(plain.status, 200, fields);
    t.is(general.status, 200, fields);
    t.is(plain.body.data.length, 4, fields);
    t.is(plain.text, general.text, fields);
  }
});

test('the default fields (projection and output names made once per class) give what naming each of them in _fields gives', async (t) => {
  const tag = uniqueTag('defaults');
  await seedNotes(tag);
  const page = await agent().get('/api/notes/').set('X-Tag', tag);
  t.is(page.status, 200);
  // Every default field, by API name (`points` is the renamed `score`), in output order.
  const names = Object.keys(page.body.data[0] as object);
  t.deepEqual(names, ['id', 'tag', 'title', 'body', 'points', 'tags', 'seen', 'owner', 'done', 'slug', 'saves', 'meta', 'parts', 'extra', 'createdAt', 'updatedAt']);
  const named = await agent().get(`/api/notes/?_fields=${names.join(',')}`).set('X-Tag', tag);
  t.is(named.text, page.text);
  for (const doc of page.body.data as { id: string }[]) {
    const item = await agent().get(`/api/notes/${doc.id}/`).set('X-Tag', tag);
    const itemNamed = await agent().get(`/api/notes/${doc.id}/?_fields=${names.join(',')}`).set('X-Tag', tag);
    t.is(item.status, 200);
    t.is(item.text, itemNamed.text);
    t.is(item.text, JSON.stringify(doc));
  }
  // And a second request of the class is served from what the first made, unchanged.
  t.is((await agent().get('/api/notes/').set('X-Tag', tag)).text, page.text);
});

test('pages with relations: the synchronous page serializer and the per-document one give identical lists and items', async (t) => {
  const tag = uniqueTag('linked');
  const { Person, Linked } = env();
  const [ada, bob] = await Person.create([
    { tag, name: 'Ada', rank: 1 },
    { tag, name: 'Bob', rank: 2 },
  ]);
  const gone = new mongoose.Types.ObjectId();
  await Linked.create([
    { tag, title: 'Everything', owner: ada!._id, watchers: [bob!._id, gone, ada!._id, bob!._id], editor: bob!._id, lead: { name: 'Lee', rank: 3 }, note: 'n' },
    { tag, title: 'Dangling owner', owner: gone, watchers: [] },
    { tag, title: 'Nothing set' },
    { tag, title: 'Same owner', owner: ada!._id, watchers: [gone] },
  ]);
  // Written without Mongoose: values that cannot be ids point nowhere (null, dropped), never a 500.
  await Linked.collection.insertOne({ tag, title: 'Raw', owner: 'not-an-id', watchers: [42, ada!._id, null], editor: null });
  for (const fields of [undefined, 'id,title', 'owner,watchers', 'editor_id,lead,title', 'watchers,id', 'note,owner,nothing']) {
    const query = fields === undefined ? '' : `?_fields=${fields}`;
    const page = await agent().get(`/api/linked/${query}`).set('X-Tag', tag);
    const general = await agent().get(`/api/general-linked/${query}`).set('X-Tag', tag);
    t.is(page.status, 200, fields);
    t.is(general.status, 200, fields);
    t.is(page.body.data.length, 5, fields);
    t.is(page.text, general.text, fields);
    for (const item of general.body.data as { id?: string }[]) {
      if (item.id === undefined) continue;
      const fetched = await agent().get(`/api/linked/${item.id}/${query}`).set('X-Tag', tag);
      t.deepEqual(fetched.body, item, fields);
    }
  }
  const everything = ((await agent().get('/api/linked/').set('X-Tag', tag)).body.data as { id: string; title: string }[]).find((item) => item.title === 'Everything')!;
  t.deepEqual(everything, {
    id: everything.id,
    tag,
    title: 'Everything',
    owner: { id: String(ada!._id), name: 'Ada', level: 1 },
    watchers: [
      { id: String(bob!._id), name: 'Bob', level: 2 },
      { id: String(ada!._id), name: 'Ada', level: 1 },
      { id: String(bob!._id), name: 'Bob', level: 2 },
    ],
    editor_id: { id: String(bob!._id), name: 'Bob', level: 2 },
    lead: { id: null, name: 'Lee', level: 3 },
    note: 'n',
  });
});

test('fetch, create and update answer the same object as a following GET of the general path', async (t) => {
  const tag = uniqueTag('notes');
  const created = await agent().post('/api/notes/').set('X-Tag', tag).send({ tag, title: 'New one', tags: ['x'], seen: ['2024-05-06T00:00:00.000Z'], meta: { color: 'blue' }, parts: [{ name: 'q' }], extra: { a: [] } });
  t.is(created.status, 201);
  const fetched = await agent().get(`/api/general-notes/${created.body.id}/`).set('X-Tag', tag);
  t.deepEqual(created.body, fetched.body);
  const updated = await agent().put(`/api/notes/${created.body.id}/`).set('X-Tag', tag).send({ title: 'Changed', points: 7, tags: [] });
  t.is(updated.status, 200);
  const again = await agent().get(`/api/general-notes/${created.body.id}/`).set('X-Tag', tag);
  t.deepEqual(updated.body, again.body);
});

test('serialize and serializeMany overrides that answer with non-native thenables give what the plain path gives', async (t) => {
  const tag = uniqueTag('thenable');
  await seedNotes(tag);
  const plain = await agent().get('/api/notes/').set('X-Tag', tag);
  const thenable = await agent().get('/api/thenable-notes/').set('X-Tag', tag);
  t.is(thenable.status, 200, JSON.stringify(thenable.body));
  t.deepEqual(thenable.body, plain.body);
  const id = (plain.body as { data: { id: string }[] }).data[0]!.id;
  const one = await agent().get(`/api/thenable-notes/${id}/`).set('X-Tag', tag);
  t.is(one.status, 200, JSON.stringify(one.body));
  t.deepEqual(one.body, (await agent().get(`/api/notes/${id}/`).set('X-Tag', tag)).body);
  const created = await agent().post('/api/thenable-notes/').set('X-Tag', tag).send({ tag, title: 'Thenable' });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is((created.body as { title: string }).title, 'Thenable');
});

test('pre(save) middleware, defaults, validators, timestamps and the version key run on create and update', async (t) => {
  const tag = uniqueTag('notes');
  const created = await agent().post('/api/notes/').set('X-Tag', tag).send({ tag, title: 'Hello World' });
  t.is(created.status, 201);
  t.is(created.body.slug, 'hello-world');
  t.is(created.body.saves, 1);
  t.is(created.body.body, 'empty');
  t.is(created.body.points, 0);
  t.deepEqual(created.body.tags, []);
  t.regex(created.body.createdAt, /^\d{4}-\d\d-\d\dT/);
  t.is(created.body.createdAt, created.body.updatedAt);
  t.is(created.body.__v, undefined);
  const stored = await env().Note.findById(created.body.id).lean();
  t.is(stored?.__v, 0);

  const updated = await agent().put(`/api/notes/${created.body.id}/`).set('X-Tag', tag).send({ title: 'Second Title' });
  t.is(updated.status, 200);
  t.is(updated.body.slug, 'second-title');
  t.is(updated.body.saves, 2);
  t.is(updated.body.createdAt, created.body.createdAt);
  t.true(Date.parse(updated.body.updatedAt) >= Date.parse(created.body.updatedAt));
  t.not(updated.body.updatedAt, undefined);
  const after = await env().Note.findById(created.body.id).lean();
  t.is(after?.__v, 1);

  const invalid = await agent().post('/api/notes/').set('X-Tag', tag).send({ tag, title: 'x'.repeat(41), points: -1 });
  t.is(invalid.status, 400);
  t.deepEqual(Object.keys(invalid.body['field-errors'] as object).sort(), ['points', 'title']);
  const refused = await agent().put(`/api/notes/${created.body.id}/`).set('X-Tag', tag).send({ points: -5 });
  t.is(refused.status, 400);
  t.is((await env().Note.findById(created.body.id).lean())?.score, 0);
});

test('the shallow copy of a saved document equals what toObject gives', async (t) => {
  const tag = uniqueTag('notes');
  await seedNotes(tag);
  const options = { depopulate: true, flattenMaps: true, versionKey: true, virtuals: false, getters: false, transform: false };
  const { Flat, Note } = env();
  await Flat.create([
    { tag, title: 'All set', score: 2, tags: ['a', 'b'], seen: [new Date('2024-01-02T03:04:05Z')], owner: new mongoose.Types.ObjectId(), done: false },
    { tag, title: 'Bare' },
    { tag, tags: [], seen: [] },
  ]);
  await Flat.collection.insertOne({ tag, title: 'Raw', score: null });
  const docs = [...(await Note.find({ tag })), ...(await Flat.find({ tag })), ...(await Flat.find({ tag }).select({ title: 1 }))];
  docs.push(new Note({ tag, title: 'Unsaved', tags: ['z'] }), new Flat({ tag, title: 'Unsaved', tags: ['z'] }));
  t.is(docs.length, 14);
  for (const doc of docs) {
    const copy = plainOf(doc);
    t.deepEqual(copy, doc.toObject(options) as PlainDocument);
    t.is(JSON.stringify(copy), JSON.stringify(doc.toObject(options)));
    t.deepEqual(Object.keys(copy), Object.keys(doc.toObject(options) as object));
  }
});
