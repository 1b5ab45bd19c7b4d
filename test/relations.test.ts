/**
 * Related resources on output (SPEC §2 relatedResources, §7): nested objects serialized by the related
 * resource (fields, renames, computed fields, its own relations several levels deep), embedded
 * sub-documents, computed fields returning documents or ids, dangling references, array order, and
 * batch loading proven by counting queries. Reference ids on input are checked in batch.
 */
import test from 'ava';
import request from 'supertest';
import mongoose from 'mongoose';
import { Resource, ResourceView, methods } from '../lib/index.js';
import { useRelationsApi, type LoggedQuery } from './fixtures/relations.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const env = useRelationsApi(test, import.meta.url);

type Doc = { _id: mongoose.Types.ObjectId } & Record<string, unknown>;

const id = (doc: Doc) => String(doc._id);
const unique = (label: string) => `${label}-${new mongoose.Types.ObjectId().toHexString().slice(-8)}`;

function languageOut(language: Doc) {
  return { id: id(language), name: language.name, iso: language.code ?? null };
}

interface PersonShape {
  doc: Doc;
  languages: Doc[];
  manager: unknown;
}
function personOut({ doc, languages, manager }: PersonShape) {
  const name = String(doc.name);
  return {
    id: id(doc),
    full_name: name,
    initials: name
      .split(/\s+/)
      .map((word) => word.charAt(0))
      .join(''),
    languages: languages.map(languageOut),
    manager,
  };
}

/** A small world: two languages, a boss, two people under the boss, two reading lists and a post. */
async function seed(tag = unique('tag')) {
  const { Language, Person, UserList, Post } = env().models;
  const english = (await Language.create({ name: 'English', code: 'en' })).toObject() as Doc;
  const french = (await Language.create({ name: 'French', code: 'fr' })).toObject() as Doc;
  const boss = (await Person.create({ name: 'Big Boss', languages: [french._id] })).toObject() as Doc;
  const ann = (await Person.create({ name: 'Ann Lee', email: 'ann@example.com', languages: [english._id, french._id], manager: boss._id })).toObject() as Doc;
  const bob = (await Person.create({ name: 'Bob Stone', manager: boss._id })).toObject() as Doc;
  const reading = (await UserList.create({ name: 'Reading', description: 'later' })).toObject() as Doc;
  const favourites = (await UserList.create({ name: 'Favourites' })).toObject() as Doc;
  const post = (
    await Post.create({
      title: unique('post'),
      tag,
      author: ann._id,
      editor: bob._id,
      reviewer: bob._id,
      user_lists: [favourites._id, reading._id],
      content: { text: 'hello', lang: 'fr' },
      comments: [{ text: 'nice', votes: 2 }, { text: 'meh' }],
      meta: { source: 'rss' },
    })
  ).toObject() as Doc;
  const bossOut = personOut({ doc: boss, languages: [french], manager: null });
  const annOut = personOut({ doc: ann, languages: [english, french], manager: bossOut });
  const bobOut = personOut({ doc: bob, languages: [], manager: bossOut });
  const comments = post.comments as Doc[];
  const postOut = {
    id: id(post),
    title: post.title,
    tag,
    author: annOut,
    editor: bobOut,
    reviewer: id(bob),
    lists: [
      { id: id(favourites), name: 'Favourites', description: null },
      { id: id(reading), name: 'Reading', description: 'later' },
    ],
    content: { text: 'hello', language: 'fr' },
    comments: [
      { id: id(comments[0]!), text: 'nice', votes: 2, shout: 'NICE' },
      { id: id(comments[1]!), text: 'meh', votes: 0, shout: 'MEH' },
    ],
    meta: { source: 'rss' },
  };
  return { tag, english, french, boss, ann, bob, reading, favourites, post, bossOut, annOut, bobOut, postOut };
}

/** `collection.method` of each query, sorted, for exact comparison. */
function summary(queries: LoggedQuery[]): string[] {
  return queries.map((query) => `${query.collection}.${query.method}`).sort();
}

/** The ids a batch query asks for (`_id: {$in: [...]}`, or `_id: id` for a batch of one, anywhere in its filter), sorted. */
function isObjectId(value: unknown): boolean {
  return value instanceof mongoose.Types.ObjectId;
}

function idsIn(filter: unknown): string[] {
  const ids: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$in' && Array.isArray(inner)) ids.push(...inner.map(String));
        else if (key === '_id' && isObjectId(inner)) ids.push(String(inner));
        else walk(inner);
      }
    }
  };
  walk(filter);
  return ids.sort();
}

// ---- batching: serial tests (run first, alone) so the connection's query log sees only their queries ----

test.serial('a page of 100 posts with two relations runs one query per relation, nested relations one per level', async (t) => {
  const { models, server, recordQueries } = env();
  const { ann, bob, favourites, reading, tag } = await seed();
  const rows = Array.from({ length: 100 }, (_, index) => ({
    title: `p${String(index).padStart(3, '0')}`,
    tag,
    author: index % 2 === 0 ? ann._id : bob._id,
    user_lists: index % 3 === 0 ? [reading._id, favourites._id] : [favourites._id],
  }));
  await models.Post.insertMany(rows);

  const log = recordQueries();
  let res;
  try {
    res = await request(server).get(`/api/posts/?tag=${tag}&_fields=title,author,lists&_order_by=title&_limit=100`);
  } finally {
    log.stop();
  }
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.data.length, 100);
  t.is(res.body.has_more, true); // the seeded post makes 101
  // posts: the page; people: authors (level 1) then their managers (level 2); lists: level 1;
  // languages: of the authors (level 2) and of the managers (level 3).
  t.deepEqual(summary(log.queries), ['languages.find', 'languages.find', 'people.find', 'people.find', 'posts.find', 'userlists.find']);
  const people = log.queries.filter((query) => query.collection === 'people');
  t.deepEqual(
    people.map((query) => idsIn(query.filter)),
    [[id(ann), id(bob)].sort(), [String(ann.manager)]],
  );
  t.like(res.body.data[0], { title: 'p000', author: { full_name: 'Ann Lee', manager: { full_name: 'Big Boss' } } });
  t.deepEqual(
    res.body.data[0].lists.map((list: { name: string }) => list.name),
    ['Reading', 'Favourites'],
  );
  t.deepEqual(
    res.body.data[1].lists.map((list: { name: string }) => list.name),
    ['Favourites'],
  );
});

test.serial('the number of queries does not depend on the page size; the same relation in two fields is one query', async (t) => {
  const { server, recordQueries } = env();
  const { tag, postOut } = await seed();
  const { models } = env();
  const [source] = await models.Post.find({ tag }).lean();
  await models.Post.insertMany(Array.from({ length: 9 }, (_, index) => ({ ...source, _id: undefined, title: `copy ${index}` })));

  const counts: number[] = [];
  for (const limit of [1, 10]) {
    const log = recordQueries();
    const res = await request(server).get(`/api/posts/?tag=${tag}&_limit=${limit}&_order_by=title`);
    log.stop();
    t.is(res.status, 200);
    t.is(res.body.data.length, limit);
    // author and editor are both PersonResource: one people query for the two fields.
    t.deepEqual(summary(log.queries), ['languages.find', 'languages.find', 'people.find', 'people.find', 'posts.find', 'userlists.find']);
    counts.push(log.queries.length);
    const { id: _id, title: _title, ...shared } = postOut;
    for (const row of res.body.data) t.like(row, { ...shared, comments: row.comments });
  }
  t.deepEqual(counts, [6, 6]);
});

test.serial('a fetch loads its relations as a page of one; no relation queries for an empty page', async (t) => {
  const { server, recordQueries } = env();
  const { post, postOut } = await seed();
  let log = recordQueries();
  const res = await request(server).get(`/api/posts/${id(post)}/`);
  log.stop();
  t.is(res.status, 200);
  t.deepEqual(res.body, postOut);
  t.deepEqual(summary(log.queries), ['languages.find', 'languages.find', 'people.find', 'people.find', 'posts.findOne', 'userlists.find']);

  log = recordQueries();
  const empty = await request(server).get(`/api/posts/?tag=${unique('none')}`);
  log.stop();
  t.deepEqual([empty.status, empty.body], [200, { data: [], has_more: false }]);
  t.deepEqual(summary(log.queries), ['posts.find']);
});

// ---- output ------------------------------------------------------------------------------------------

test('a reference with a related resource is the nested object of that resource, several levels deep', async (t) => {
  const { server } = env();
  const { post, postOut } = await seed();
  const res = await request(server).get(`/api/posts/${id(post)}/`);
  t.is(res.status, 200, JSON.stringify(res.body));
  // author → manager → languages: fields, renames (full_name, iso) and computed fields (initials) of
  // each related resource; reviewer has no related resource: an id string.
  t.deepEqual(res.body, postOut);
});

test('list pages nest relations the same way, and _fields selects top-level fields only', async (t) => {
  const { server } = env();
  const { tag, postOut } = await seed();
  const res = await request(server).get(`/api/posts/?tag=${tag}`);
  t.deepEqual([res.status, res.body], [200, { data: [postOut], has_more: false }]);
  const some = await request(server).get(`/api/posts/?tag=${tag}&_fields=title,author,initials,lists`);
  t.deepEqual(some.body, { data: [{ title: postOut.title, author: postOut.author, lists: postOut.lists }], has_more: false });
});

test('arrays keep their order; dangling references are dropped from arrays and null in single fields', async (t) => {
  const { server, models } = env();
  const { post, postOut, favourites, bob } = await seed();
  await models.UserList.deleteOne({ _id: favourites._id });
  await models.Person.deleteOne({ _id: bob._id });
  const res = await request(server).get(`/api/posts/${id(post)}/`);
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body, { ...postOut, editor: null, lists: [postOut.lists[1]] });
  // A reference without a related resource is not loaded: it stays the stored id.
  t.is(res.body.reviewer, id(bob));
});

test('a stored value that is not a valid id is dangling, never a 500', async (t) => {
  const { server, models } = env();
  const { post, postOut } = await seed();
  await models.Post.collection.updateOne({ _id: post._id }, { $set: { editor: 'not-an-id', user_lists: ['nope', (post.user_lists as unknown[])[1]] } });
  const res = await request(server).get(`/api/posts/${id(post)}/`);
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body, { ...postOut, editor: null, lists: [postOut.lists[1]] });
});

test('embedded sub-documents go through their related resource; without one they are plain objects', async (t) => {
  const { server, models } = env();
  const created = await models.Post.create({
    title: unique('embedded'),
    content: { text: 'bonjour' },
    comments: [{ text: 'first' }],
    meta: { source: 'api' },
  });
  const res = await request(server).get(`/api/posts/${created.id}/?_fields=content,comments,meta,lists,author`);
  t.deepEqual([res.status, res.body], [
    200,
    {
      content: { text: 'bonjour', language: 'en' },
      comments: [{ id: String(created.comments[0]!._id), text: 'first', votes: 0, shout: 'FIRST' }],
      meta: { source: 'api' },
      lists: [],
      author: null,
    },
  ]);
});

test('computed fields: async values, documents through a related resource, ids loaded in batch', async (t) => {
  const { server, models } = env();
  const { ann, post, postOut } = await seed();
  const older = await models.Post.create({ title: `A ${unique('older')}`, author: ann._id });

  const person = await request(server).get(`/api/people/${id(ann)}/?_fields=full_name,initials,recent_posts`);
  t.deepEqual([person.status, person.body], [
    200,
    {
      full_name: 'Ann Lee',
      initials: 'AL',
      recent_posts: [
        { id: older.id, title: older.title },
        { id: id(post), title: post.title },
      ],
    },
  ]);

  const first = await request(server).get(`/api/posts/${id(post)}/?_fields=title,first_list,editor_name&shout=1`);
  t.deepEqual(first.body, { title: post.title, first_list: postOut.lists[0], editor_name: `${String(post.editor)}!` });
});

test('a reference cycle stops after the nesting limit with the stored id', async (t) => {
  const { server, models } = env();
  const loop = await models.Person.create({ name: 'Ouro Boros' });
  loop.manager = loop._id;
  await loop.save();
  const res = await request(server).get(`/api/people/${loop.id}/`);
  t.is(res.status, 200);
  let depth = 0;
  let node: { manager: unknown } = res.body;
  while (typeof node.manager === 'object' && node.manager !== null) {
    node = node.manager as { manager: unknown };
    depth += 1;
  }
  t.is(depth, 8);
  t.is(node.manager, loop.id);
});

test('write responses nest relations like GET', async (t) => {
  const { server } = env();
  const { ann, bob, reading, annOut, bobOut } = await seed();
  const created = await request(server)
    .post('/api/posts/')
    .send({ title: 'Nested on create', author: id(ann), editor: id(bob), lists: [id(reading)], content: { text: 'x', language: 'de' } });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.deepEqual(created.body, {
    id: created.body.id,
    title: 'Nested on create',
    tag: null,
    author: annOut,
    editor: bobOut,
    reviewer: null,
    lists: [{ id: id(reading), name: 'Reading', description: 'later' }],
    content: { text: 'x', language: 'de' },
    comments: [],
    meta: null,
  });
  const fetched = await request(server).get(`/api/posts/${created.body.id}/`);
  t.deepEqual(fetched.body, created.body);

  const updated = await request(server).put(`/api/posts/${created.body.id}/`).send({ editor: id(ann), initials: 'ignored', first_list: 'ignored' });
  t.is(updated.status, 200, JSON.stringify(updated.body));
  t.deepEqual(updated.body, { ...created.body, editor: annOut });
  t.deepEqual((await request(server).get(`/api/posts/${created.body.id}/`)).body, updated.body);
});

// ---- input: reference ids ---------------------------------------------------------------------------

test('reference fields take id strings; an unknown or invalid id is a 400 for that field and nothing is written', async (t) => {
  const { server, models } = env();
  const { ann, reading } = await seed();
  const missing = new mongoose.Types.ObjectId().toHexString();
  const title = unique('refused');

  let res = await request(server).post('/api/posts/').send({ title, author: missing });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { author: `No document with id "${missing}".` } }]);

  res = await request(server).post('/api/posts/').send({ title, author: 'zzz', editor: id(ann), reviewer: missing });
  t.deepEqual([res.status, res.body], [
    400,
    { 'field-errors': { author: 'Invalid id "zzz".', reviewer: `No document with id "${missing}".` } },
  ]);

  // Array items by index, under the API name of the field.
  res = await request(server).post('/api/posts/').send({ title, lists: [id(reading), missing, id(reading)] });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { 'lists.1': `No document with id "${missing}".` } }]);

  t.is(await models.Post.countDocuments({ title }), 0);

  res = await request(server).post('/api/posts/').send({ title, author: id(ann), lists: [id(reading)], reviewer: null });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.is(res.body.author.id, id(ann));
});

test('checkReferences = false stores plain ref ids unchecked; fields with a related resource are still checked', async (t) => {
  const { server, models } = env();
  const missing = new mongoose.Types.ObjectId().toHexString();
  const title = unique('unchecked');
  let res = await request(server).post('/api/unchecked-posts/').send({ title, reviewer: missing });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.is(res.body.reviewer, missing);
  t.is(String((await models.Post.findOne({ title }).lean())!.reviewer), missing);
  res = await request(server).post('/api/unchecked-posts/').send({ title: unique('unchecked'), author: missing });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { author: `No document with id "${missing}".` } }]);
  res = await request(server).post('/api/unchecked-posts/').send({ title: unique('unchecked'), reviewer: 'zzz' });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { reviewer: 'Cast to ObjectId failed for value "zzz" (type string)' } }]);
});

test('ids are checked on update and bulk update too', async (t) => {
  const { server, models } = env();
  const { post, tag, bob } = await seed();
  const missing = new mongoose.Types.ObjectId().toHexString();
  let res = await request(server).put(`/api/posts/${id(post)}/`).send({ title: 'changed', editor: missing });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { editor: `No document with id "${missing}".` } }]);
  res = await request(server).put(`/api/posts/?tag=${tag}`).send({ editor: missing });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { editor: `No document with id "${missing}".` } }]);
  const stored = await models.Post.findById(post._id).lean();
  t.is(stored!.title, String(post.title));
  t.is(String(stored!.editor), id(bob));

  res = await request(server).put(`/api/posts/?tag=${tag}`).send({ reviewer: String(post.author) });
  t.deepEqual([res.status, res.body], [200, { count: 1 }]);
});

test('embedded sub-documents with a related resource take its API names on input', async (t) => {
  const { server } = env();
  const res = await request(server)
    .post('/api/posts/')
    .send({ title: unique('embedded-in'), content: { text: 'hallo', language: 'de' }, comments: [{ text: 'a', shout: 'ignored', votes: 3 }] });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.deepEqual(res.body.content, { text: 'hallo', language: 'de' });
  t.like(res.body.comments[0], { text: 'a', votes: 3, shout: 'A' });
  const bad = await request(server).post('/api/posts/').send({ title: 'x', comments: [{ votes: 1 }] });
  t.deepEqual([bad.status, bad.body], [400, { 'field-errors': { 'comments.0.text': 'Path `text` is required.' } }]);
});

test('what GET outputs can be sent back: nested objects stand for their ids, sub-documents keep theirs', async (t) => {
  const { server, models } = env();
  const { post, postOut, bob, bobOut } = await seed();
  const { id: _id, ...body } = postOut;
  const res = await request(server).put(`/api/posts/${id(post)}/`).send({ ...body, author: bobOut, title: 'Round trip' });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body, { ...postOut, author: bobOut, title: 'Round trip' });
  const stored = await models.Post.findById(post._id).lean();
  t.is(String(stored!.author), id(bob));
  t.deepEqual(
    stored!.comments.map((comment) => String(comment._id)),
    postOut.comments.map((comment) => comment.id),
  );
  const missing = new mongoose.Types.ObjectId().toHexString();
  const bad = await request(server).put(`/api/posts/${id(post)}/`).send({ author: { id: missing, full_name: 'Ghost' } });
  t.deepEqual([bad.status, bad.body], [400, { 'field-errors': { author: `No document with id "${missing}".` } }]);
});

test('relation settings that name nothing throw at registration', (t) => {
  const { Post, Vehicle, Person } = env().models;
  class PersonResource extends Resource {
    document = Person;
  }
  const register = (Res: new () => Resource) => () =>
    new TestMongoRest().register(
      class extends ResourceView {
        resource = Res;
        methods = [methods.List];
      },
    );
  t.throws(
    register(
      class BadRelated extends Resource {
        document = Post;
        relatedResources = { nope: PersonResource };
      },
    ),
    { instanceOf: TypeError, message: 'BadRelated.relatedResources names an unknown field "nope".' },
  );
  t.throws(
    register(
      class BadSaved extends Resource {
        document = Post;
        saveRelatedFields = ['author'];
      },
    ),
    { instanceOf: TypeError, message: 'BadSaved.saveRelatedFields: "author" needs a related resource in relatedResources.' },
  );
  t.throws(
    register(
      class BadChild extends Resource {
        document = Vehicle;
        childDocumentResources = { Bus: PersonResource };
      },
    ),
    { instanceOf: TypeError, message: 'BadChild.childDocumentResources: "Bus" is not a discriminator of model Vehicle.' },
  );
  t.throws(
    register(
      class BadDefault extends Resource {
        document = Vehicle;
        childDocumentResources = { Car: PersonResource };
        defaultChildResourceDocument = 'Truck';
      },
    ),
    { instanceOf: TypeError, message: 'BadDefault.defaultChildResourceDocument "Truck" is not a key of childDocumentResources.' },
  );
});
