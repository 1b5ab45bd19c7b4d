/**
 * The getting-started flow of README.md/docs/getting-started.md as an app that installed the packed
 * package: models, a Resource, a ResourceView, register, then create/list/fetch over HTTP. Exits non-zero
 * (printing what differed) when an answer is not the expected one.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import mongoose from 'mongoose';
import { MongoRest, Resource, ResourceView, methods, ops } from 'koa-mongorest';

const User = mongoose.model('User', new mongoose.Schema({ name: { type: String, required: true } }));
const Post = mongoose.model('Post', new mongoose.Schema({
  title: { type: String, required: true },
  author: { type: mongoose.Schema.Types.ObjectId, ref: 'User' },
  published: { type: Boolean, default: false },
  created: { type: Date, default: () => new Date() },
}));

class PostResource extends Resource {
  document = Post;
  fields = ['id', 'title', 'author', 'published'];
  renameFields = { author: 'author_id' };        // internal name → API name
  filters = { title: [ops.Exact, ops.Startswith], published: [ops.Boolean] };
  allowedOrdering = ['title', 'created'];
}

class PostView extends ResourceView {
  resource = PostResource;
  methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
}

const api = new MongoRest({ prefix: '/api' });
api.register(PostView, { url: '/posts/' });

await mongoose.connect(process.env.MONGODB_URI!, { dbName: `smoke_${process.pid}_${Date.now()}`, serverSelectionTimeoutMS: 5000 });
const app = new Koa();
app.use(api.routes()).use(api.allowedMethods());
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/posts/`;

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

try {
  const ada = await User.create({ name: 'Ada' });
  const created = await call('POST', base, { title: 'Hello', author_id: String(ada._id) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const post = created.body as { id: string };
  assert.deepEqual(created.body, { id: post.id, title: 'Hello', author_id: String(ada._id), published: false });

  const list = await call('GET', `${base}?title__startswith=Hel&_order_by=-created&_fields=title`);
  assert.deepEqual(list, { status: 200, body: { data: [{ title: 'Hello' }], has_more: false } });

  const fetched = await call('GET', `${base}${post.id}/`);
  assert.deepEqual(fetched, { status: 200, body: created.body });

  const unknownAuthor = await call('POST', base, { title: 'Nobody', author_id: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
  assert.deepEqual(unknownAuthor, { status: 400, body: { 'field-errors': { author_id: 'No document with id "aaaaaaaaaaaaaaaaaaaaaaaa".' } } });

  console.log(`getting-started flow: ok (mongoose ${mongoose.version}, create 201, list 200, fetch 200, unknown ref 400)`);
} finally {
  server.close();
  await mongoose.connection.dropDatabase().catch(() => undefined);
  await mongoose.disconnect();
}
