/**
 * saveRelatedFields (SPEC §2): a list of nested objects creates (no id) or updates (with id) the
 * referenced documents in the order given and the field stores their ids; bare ids just reference.
 * Everything is validated first (ids in batch, every nested document, the parent), then written: any
 * error is a 400 (or 403) with nothing written.
 */
import test from 'ava';
import request from 'supertest';
import mongoose from 'mongoose';
import { useRelationsApi } from './fixtures/relations.js';

const env = useRelationsApi(test, import.meta.url);

const unique = (label: string) => `${label}-${new mongoose.Types.ObjectId().toHexString().slice(-8)}`;
const missingId = () => new mongoose.Types.ObjectId().toHexString();

/** Creates reading lists; their ids, in the order of the names. */
async function lists<Names extends string[]>(...names: Names): Promise<{ [K in keyof Names]: string }> {
  const { UserList } = env().models;
  const ids = await Promise.all(names.map(async (name) => String((await UserList.create({ name, description: `about ${name}` }))._id)));
  return ids as { [K in keyof Names]: string };
}

async function storedListNames(postId: string): Promise<string[]> {
  const { Post, UserList } = env().models;
  const post = await Post.findById(postId).lean();
  const ids = (post?.user_lists ?? []).map(String);
  const docs = await UserList.find({ _id: { $in: ids } }).lean();
  return ids.map((id) => docs.find((doc) => String(doc._id) === id)?.name ?? '<missing>');
}

test('create: objects without id are created, with id updated, bare ids referenced, all in the order given', async (t) => {
  const { server, models } = env();
  const favouritesName = unique('f');
  const [reading, favourites] = await lists(unique('r'), favouritesName);
  const [a, b] = [unique('new-a'), unique('new-b')];
  const res = await request(server)
    .post('/api/posts/')
    .send({
      title: 'With lists',
      lists: [{ name: a }, { id: reading, name: 'Renamed', description: null }, favourites, { name: b, description: 'second new', unknown: 1 }],
    });
  t.is(res.status, 201, JSON.stringify(res.body));
  const [createdA, , , createdB] = res.body.lists as { id: string }[];
  t.deepEqual(res.body.lists, [
    { id: createdA!.id, name: a, description: null },
    { id: reading, name: 'Renamed', description: null },
    { id: favourites, name: favouritesName, description: `about ${favouritesName}` },
    { id: createdB!.id, name: b, description: 'second new' },
  ]);
  t.deepEqual(await storedListNames(res.body.id), [a, 'Renamed', favouritesName, b]);
  t.is(await models.UserList.countDocuments({ name: { $in: [a, b] } }), 2);
  // Created in the order given.
  t.true(new mongoose.Types.ObjectId(createdA!.id).getTimestamp() <= new mongoose.Types.ObjectId(createdB!.id).getTimestamp());
  t.true(createdA!.id < createdB!.id);
  const fetched = await request(server).get(`/api/posts/${res.body.id}/`);
  t.deepEqual(fetched.body, res.body);
});

test('update: the list is replaced by the objects sent, each created or updated', async (t) => {
  const { server, models } = env();
  const [first, second] = await lists(unique('first'), unique('second'));
  const post = await models.Post.create({ title: 'Update lists', user_lists: [first, second] });
  const added = unique('added');
  const res = await request(server)
    .put(`/api/posts/${post.id}/`)
    .send({ lists: [{ id: second, description: 'changed' }, { name: added }] });
  t.is(res.status, 200, JSON.stringify(res.body));
  const secondName = (await models.UserList.findById(second).lean())!.name;
  t.deepEqual(res.body.lists, [
    { id: second, name: secondName, description: 'changed' },
    { id: res.body.lists[1].id, name: added, description: null },
  ]);
  t.deepEqual(await storedListNames(post.id), [secondName, added]);
  // The list left out is no longer referenced but still exists.
  t.is(await models.UserList.countDocuments({ _id: first }), 1);
  t.deepEqual((await request(server).get(`/api/posts/${post.id}/`)).body, res.body);
});

test('an unknown or invalid id is a 400 and nothing is written', async (t) => {
  const { server, models } = env();
  const [reading] = await lists(unique('keep'));
  const fresh = unique('never');
  const title = unique('never-post');
  const missing = missingId();

  let res = await request(server)
    .post('/api/posts/')
    .send({ title, lists: [{ name: fresh }, { id: missing, name: 'x' }, { id: reading, name: 'not renamed' }] });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { 'lists.1': `No document with id "${missing}".` } }]);

  res = await request(server)
    .post('/api/posts/')
    .send({ title, lists: [{ name: fresh }, { id: 'zzz', name: 'x' }, missing] });
  t.deepEqual([res.status, res.body], [
    400,
    { 'field-errors': { 'lists.1': 'Invalid id "zzz".', 'lists.2': `No document with id "${missing}".` } },
  ]);

  t.is(await models.UserList.countDocuments({ name: fresh }), 0);
  t.is(await models.UserList.countDocuments({ name: 'not renamed' }), 0);
  t.is(await models.Post.countDocuments({ title }), 0);
});

test('nested validation errors are keyed by position and nested API path; nothing is written', async (t) => {
  const { server, models } = env();
  const fresh = unique('ok');
  const title = unique('invalid-nested');
  const owner = missingId();
  const res = await request(server)
    .post('/api/posts/')
    .send({ title, lists: [{ name: fresh }, { description: 'no name' }, { name: 'x'.repeat(21), owner }] });
  t.deepEqual([res.status, res.body], [
    400,
    {
      'field-errors': {
        'lists.1.name': 'Path `name` is required.',
        'lists.2.name': 'Path `name` (`xxxxxxxxxxxxxxxxxxxxx`, length 21) is longer than the maximum allowed length (20).',
        'lists.2.owner': `No document with id "${owner}".`,
      },
    },
  ]);
  t.is(await models.UserList.countDocuments({ name: fresh }), 0);
  t.is(await models.Post.countDocuments({ title }), 0);
});

test('a non-finite number in a nested object is a 400 keyed by position; nothing is written', async (t) => {
  const { server, models } = env();
  const name = unique('inf');
  const title = unique('infinite-nested');
  const res = await request(server).post('/api/posts/').send({ title, lists: [{ name, size: 'Infinity' }] });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { 'lists.0.size': 'Must be a finite number.' } }]);
  t.is(await models.UserList.countDocuments({ name }), 0);
  t.is(await models.Post.countDocuments({ title }), 0);
});

test('nested references are checked and stored; the parent failing validation writes no nested document', async (t) => {
  const { server, models } = env();
  const person = await models.Person.create({ name: 'List Owner' });
  const owned = unique('owned');
  const res = await request(server).post('/api/posts/').send({ title: unique('owner'), lists: [{ name: owned, owner: person.id }] });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.is(String((await models.UserList.findOne({ name: owned }).lean())!.owner), person.id);

  const orphan = unique('orphan');
  const invalid = await request(server).post('/api/posts/').send({ lists: [{ name: orphan }] });
  t.deepEqual([invalid.status, invalid.body], [400, { 'field-errors': { title: 'Path `title` is required.' } }]);
  t.is(await models.UserList.countDocuments({ name: orphan }), 0);
});

test('a refused permission (403) writes no nested document either', async (t) => {
  const { server, models } = env();
  const [existing] = await lists(unique('locked'));
  const fresh = unique('locked-new');
  let res = await request(server).post('/api/locked-posts/').send({ title: 'no', lists: [{ name: fresh }, { id: existing, name: 'hacked' }] });
  t.deepEqual([res.status, res.body], [403, { error: 'Forbidden' }]);
  const post = await models.Post.create({ title: 'locked' });
  res = await request(server).put(`/api/locked-posts/${post.id}/`).send({ lists: [{ name: fresh }, { id: existing, name: 'hacked' }] });
  t.deepEqual([res.status, res.body], [403, { error: 'Forbidden' }]);
  t.is(await models.UserList.countDocuments({ name: { $in: [fresh, 'hacked'] } }), 0);
});

test('a value that is not a list is a 400; an empty list clears the field', async (t) => {
  const { server, models } = env();
  const [one] = await lists(unique('one'));
  const post = await models.Post.create({ title: 'shape', user_lists: [one] });
  let res = await request(server).put(`/api/posts/${post.id}/`).send({ lists: { name: 'x' } });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { lists: 'Expected a list.' } }]);
  res = await request(server).put(`/api/posts/${post.id}/`).send({ lists: [] });
  t.is(res.status, 200);
  t.deepEqual(res.body.lists, []);
});

test('bulk update: the nested documents are written once and every matched document references them', async (t) => {
  const { server, models } = env();
  const tag = unique('bulk');
  await models.Post.insertMany([
    { title: 'b1', tag },
    { title: 'b2', tag },
  ]);
  const shared = unique('shared');
  const res = await request(server).put(`/api/posts/?tag=${tag}`).send({ lists: [{ name: shared }] });
  t.deepEqual([res.status, res.body], [200, { count: 2 }]);
  const created = await models.UserList.find({ name: shared }).lean();
  t.is(created.length, 1);
  const posts = await models.Post.find({ tag }).lean();
  t.deepEqual(
    posts.map((post) => post.user_lists.map(String)),
    [[String(created[0]!._id)], [String(created[0]!._id)]],
  );
});

test('a single reference field takes one nested object, an id or null', async (t) => {
  const { server, models } = env();
  const language = await models.Language.create({ name: 'Dutch', code: 'nl' });
  const name = unique('Ed Itor');
  let res = await request(server)
    .post('/api/posts/')
    .send({ title: 'single', editor: { full_name: name, initials: 'ignored', languages: [language.id] } });
  t.is(res.status, 201, JSON.stringify(res.body));
  const postId: string = res.body.id;
  const created = await models.Person.findOne({ name }).lean();
  t.deepEqual(res.body.editor, {
    id: String(created!._id),
    full_name: name,
    initials: name.split(/\s+/).map((word) => word.charAt(0)).join(''),
    languages: [{ id: language.id, name: 'Dutch', iso: 'nl' }],
    manager: null,
  });

  res = await request(server).put(`/api/posts/${postId}/`).send({ editor: { id: String(created!._id), full_name: `${name} Jr` } });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.editor.full_name, `${name} Jr`);
  t.is((await models.Person.findById(created!._id).lean())!.name, `${name} Jr`);

  const missing = missingId();
  res = await request(server).put(`/api/posts/${postId}/`).send({ editor: { id: missing, full_name: 'x' } });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { editor: `No document with id "${missing}".` } }]);
  res = await request(server).put(`/api/posts/${postId}/`).send({ editor: null });
  t.is(res.status, 200);
  t.is(res.body.editor, null);
});
