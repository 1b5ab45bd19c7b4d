import test from 'ava';
import request from 'supertest';
import { useBlogApi } from './fixtures/blog.js';

const blog = useBlogApi(test, import.meta.url);

test('create, fetch, list, update, delete a post', async (t) => {
  const { server } = blog();
  const created = await request(server).post('/api/posts/').send({ title: 'Hello', tags: ['a'], content: { text: 'hi' }, published: true });
  t.is(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  t.is(created.headers.location, `/api/posts/${id}/`);
  t.like(created.body, { title: 'Hello', tags: ['a'], content: { text: 'hi', lang: 'en' }, published: true, author_id: null });
  const fetched = await request(server).get(`/api/posts/${id}`);
  t.is(fetched.status, 200);
  t.deepEqual(fetched.body, created.body);
  const listed = await request(server).get('/api/posts/?_fields=title,published&_count=1');
  t.deepEqual(listed.body, { data: [{ title: 'Hello', published: true }], has_more: false, total: 1 });
  const updated = await request(server).put(`/api/posts/${id}/`).send({ title: 'Bye' });
  t.is(updated.status, 200, JSON.stringify(updated.body));
  t.is(updated.body.title, 'Bye');
  const again = await request(server).get(`/api/posts/${id}/`);
  t.deepEqual(again.body, updated.body);
  const removed = await request(server).delete(`/api/posts/${id}/`);
  t.is(removed.status, 204);
  t.is((await request(server).get(`/api/posts/${id}/`)).status, 404);
});

test('errors', async (t) => {
  const { server } = blog();
  let r = await request(server).post('/api/posts/1/').send({});
  t.deepEqual([r.status, r.body], [404, { error: 'Did you mean to use PUT?' }]);
  r = await request(server).patch('/api/posts/');
  t.is(r.status, 405);
  t.is(r.headers.allow, 'GET, POST, PUT, HEAD, OPTIONS');
  r = await request(server).get('/api/nothing');
  t.deepEqual([r.status, r.body], [404, { error: 'Not found' }]);
  r = await request(server).get('/api/posts/?_limit=1e2');
  t.deepEqual([r.status, r.body], [400, { error: '_limit must be an integer (got "1e2" instead).' }]);
  r = await request(server).post('/api/user/').send({ email: 'x' });
  t.deepEqual([r.status, r.body], [400, { 'field-errors': { email: 'Not a valid email address' } }]);
  r = await request(server).post('/api/user/').send({ email: 'a@b.co' });
  t.is(r.status, 201);
  r = await request(server).post('/api/user/').send({ email: 'a@b.co' });
  t.is(r.status, 409, JSON.stringify(r.body));
  t.deepEqual(r.body['field-errors'], { email: 'already exists' });
  r = await request(server).post('/api/user/').set('Content-Type', 'text/plain').send('hi');
  t.is(r.status, 415);
  r = await request(server).post('/api/user/').set('Content-Type', 'application/json').send('{bad');
  t.deepEqual([r.status, r.body], [400, { error: 'The request contains invalid JSON.' }]);
  r = await request(server).post('/api/user/').set('Content-Type', 'application/json').send('[1]');
  t.deepEqual([r.status, r.body], [400, { error: 'JSON data must be an object.' }]);
});
