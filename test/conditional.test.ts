/**
 * Conditional requests (issue 12 §2): strong item ETags from the document version (changing whenever the
 * stored document changes, shown fields or not, and only then), If-None-Match → 304 (items and list pages,
 * `*` too), If-Match → 412 on PUT/PATCH/DELETE/bulk with the check and the write atomic (interleaved
 * requests), requireIfMatch → 428, Cache-Control on authenticated requests, schemas without a version.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { ApiKeyAuthentication, AnonymousAuthentication, MongoRest, Resource, ResourceView, methods, ops, type RequestContext } from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

/** A gate a hook waits at while a request carries `X-Hold: <name>`: lets a test interleave two requests. */
class Gates {
  private readonly gates = new Map<string, { entered: () => void; entry: Promise<void>; release: () => void; released: Promise<void> }>();
  private gate(name: string) {
    let gate = this.gates.get(name);
    if (!gate) {
      let entered!: () => void;
      let release!: () => void;
      const entry = new Promise<void>((resolve) => (entered = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      gate = { entered, entry, release, released };
      this.gates.set(name, gate);
    }
    return gate;
  }
  async wait(ctx: RequestContext): Promise<void> {
    const name = ctx.get('X-Hold');
    if (name === '') return;
    const gate = this.gate(name);
    gate.entered();
    await gate.released;
  }
  reached(name: string): Promise<void> {
    return this.gate(name).entry;
  }
  release(name: string): void {
    this.gate(name).release();
  }
}

const allMethods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Patch, methods.BulkUpdate, methods.BulkDelete, methods.Delete];

function build(connection: Connection) {
  const gates = new Gates();
  const Item = connection.model('Item', new mongoose.Schema({ tag: String, title: String, secret: String, count: Number }));
  const Plain = connection.model('Plain', new mongoose.Schema({ tag: String, title: String }, { versionKey: false }));
  const Slug = connection.model('Slug', new mongoose.Schema({ _id: String, tag: String, title: String }));

  class ItemResource extends Resource {
    document = Item;
    override fields = ['id', 'title', 'count'];
    override filters = { title: [ops.Exact] };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class SlugResource extends Resource {
    document = Slug;
  }
  class SlugView extends ResourceView {
    resource = SlugResource;
    methods = [methods.Fetch, methods.Update];
  }
  class StrictItemResource extends ItemResource {
    override requireIfMatch = true;
  }
  class PlainResource extends Resource {
    document = Plain;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class ItemView extends ResourceView {
    resource = ItemResource;
    methods = allMethods;
    override async hasChangePermission(ctx: RequestContext) {
      await gates.wait(ctx);
      return true;
    }
    override async hasDeletePermission(ctx: RequestContext) {
      await gates.wait(ctx);
      return true;
    }
  }
  class StrictView extends ResourceView {
    resource = StrictItemResource;
    methods = allMethods;
  }
  class PlainView extends ResourceView {
    resource = PlainResource;
    methods = allMethods;
  }
  class KeyedView extends ResourceView {
    resource = ItemResource;
    methods = [methods.List, methods.Fetch];
    authenticationMethods = [new ApiKeyAuthentication({ keys: ['k1'] }), AnonymousAuthentication];
  }
  /** A dispatch override that rewrites the list page: the ETag must be that of the page it sends. */
  class WrappedListView extends ResourceView {
    resource = ItemResource;
    methods = [methods.List];
    override async dispatch(ctx: RequestContext, _method: string, next: () => Promise<void>) {
      await next();
      if (ctx.status === 200) ctx.body = { wrapped: ctx.body as unknown };
    }
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(ItemView, { url: '/items/' });
  api.register(WrappedListView, { url: '/wrapped-items/', name: 'wrapped-items' });
  api.register(StrictView, { url: '/strict/', name: 'strict' });
  api.register(PlainView, { url: '/plain/' });
  api.register(KeyedView, { url: '/keyed/', name: 'keyed' });
  api.register(SlugView, { url: '/slugs/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Item, Plain, Slug, gates, StrictItemResource };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);
const CHANGED = { error: 'The document has changed since you read it.' };

async function seed(fields: Record<string, unknown> = {}) {
  const tag = uniqueTag('item');
  const doc = await env().Item.create({ tag, title: 'first', secret: 's', count: 1, ...fields });
  const id = String(doc._id);
  return { tag, id, url: `/api/items/${id}/` };
}

async function etagOf(url: string, tag: string): Promise<string> {
  const res = await agent().get(url).set('X-Tag', tag);
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}`);
  return res.headers.etag as string;
}

// ---- ETags on items --------------------------------------------------------------------------------------

test('GET and HEAD of an item carry the same strong ETag, stable while the document is unchanged', async (t) => {
  const { tag, url } = await seed();
  const first = await agent().get(url).set('X-Tag', tag);
  t.is(first.status, 200);
  t.regex(first.headers.etag ?? '', /^"[0-9a-f]{24}\.0"$/);
  t.is(first.headers.etag, await etagOf(url, tag));
  const head = await agent().head(url).set('X-Tag', tag);
  t.is(head.headers.etag, first.headers.etag);
  t.is(first.headers.etag, await etagOf(`${url}?_fields=title`, tag), 'the ETag is the stored document’s, whatever the fields shown');
});

test('the ETag changes when a field the response does not show changes, and the write answers the new one', async (t) => {
  const { tag, url } = await seed();
  const before = await etagOf(`${url}?_fields=title`, tag);
  const put = await agent().put(url).set('X-Tag', tag).send({ count: 2 });
  t.is(put.status, 200);
  t.not(put.headers.etag, before);
  t.is(put.headers.etag, await etagOf(`${url}?_fields=title`, tag));
  const patch = await agent().patch(url).set('X-Tag', tag).send({ title: 'second' });
  t.is(patch.status, 200);
  t.not(patch.headers.etag, put.headers.etag);
  t.is(patch.headers.etag, await etagOf(url, tag));
});

test('a write that changes nothing keeps the ETag (it changes only when the document does)', async (t) => {
  const { tag, url } = await seed();
  const before = await etagOf(url, tag);
  const put = await agent().put(url).set('X-Tag', tag).send({ title: 'first' });
  t.is(put.status, 200);
  t.is(put.headers.etag, before);
  t.is(await etagOf(url, tag), before);
});

test('every write moves the stored version, including writes of unshown fields', async (t) => {
  const { tag, id, url } = await seed();
  t.is((await agent().put(url).set('X-Tag', tag).send({ count: 5 })).status, 200);
  t.is((await agent().put(url).set('X-Tag', tag).send({ count: 6 })).status, 200);
  t.is((await env().Item.findById(id).lean())?.__v, 2);
});

// ---- If-None-Match ----------------------------------------------------------------------------------------

test('If-None-Match with the current ETag → 304 without a body (GET and HEAD); `*` too; a stale one → 200', async (t) => {
  const { tag, url } = await seed();
  const etag = await etagOf(url, tag);
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const res = await agent().get(url).set('X-Tag', tag).set('If-None-Match', header);
    t.is(res.status, 304, header);
    t.is(res.text, '');
    t.is(res.headers.etag, etag);
    t.is((await agent().head(url).set('X-Tag', tag).set('If-None-Match', header)).status, 304);
  }
  const stale = await agent().get(url).set('X-Tag', tag).set('If-None-Match', '"stale"');
  t.is(stale.status, 200);
  t.is(stale.body.title, 'first');
});

test('If-None-Match on a missing item → 404 (even with *)', async (t) => {
  const res = await agent().get(`/api/items/${new mongoose.Types.ObjectId().toHexString()}/`).set('If-None-Match', '*');
  assertJson(t, res, 404, { error: 'Not found' });
});

test('list pages carry a weak ETag and answer 304 to If-None-Match until the page changes', async (t) => {
  const { tag, url } = await seed();
  const first = await agent().get('/api/items/').set('X-Tag', tag);
  t.regex(first.headers.etag ?? '', /^W\/"[A-Za-z0-9_-]+"$/);
  const again = await agent().get('/api/items/').set('X-Tag', tag).set('If-None-Match', first.headers.etag!);
  t.is(again.status, 304);
  t.is(again.text, '');
  await agent().put(url).set('X-Tag', tag).send({ title: 'changed' });
  const changed = await agent().get('/api/items/').set('X-Tag', tag).set('If-None-Match', first.headers.etag!);
  t.is(changed.status, 200);
  t.not(changed.headers.etag, first.headers.etag);
});

test('a list page is sent as the JSON its weak ETag digests (stringified once): JSON type, HEAD has the same ETag and length', async (t) => {
  const { tag } = await seed();
  const res = await agent().get('/api/items/').set('X-Tag', tag);
  t.is(res.status, 200);
  t.is(res.headers['content-type'], 'application/json; charset=utf-8');
  t.is(res.headers.etag, `W/"${createHash('sha256').update(res.text).digest('base64url').slice(0, 27)}"`);
  t.is(Number(res.headers['content-length']), Buffer.byteLength(res.text));
  t.is(res.body.data.length, 1);
  const head = await agent().head('/api/items/').set('X-Tag', tag);
  t.is(head.status, 200);
  t.is(head.headers.etag, res.headers.etag);
  t.is(head.headers['content-type'], 'application/json; charset=utf-8');
  t.is(head.headers['content-length'], res.headers['content-length']);
});

test('a list page rewritten by a dispatch override carries the ETag of the page it sends, and 304s on it', async (t) => {
  const { tag } = await seed();
  const res = await agent().get('/api/wrapped-items/').set('X-Tag', tag);
  t.is(res.status, 200);
  t.is(res.body.wrapped.data.length, 1);
  t.is(res.headers['content-type'], 'application/json; charset=utf-8');
  t.is(res.headers.etag, `W/"${createHash('sha256').update(res.text).digest('base64url').slice(0, 27)}"`);
  const again = await agent().get('/api/wrapped-items/').set('X-Tag', tag).set('If-None-Match', res.headers.etag!);
  t.is(again.status, 304);
  t.is(again.text, '');
});

test('an item ETag is "<id>.<version>" for an ObjectId, and moves with the version', async (t) => {
  const { tag, id, url } = await seed();
  const res = await agent().get(url).set('X-Tag', tag);
  t.is(res.headers.etag, `"${id}.0"`);
  const put = await agent().put(url).set('X-Tag', tag).send({ count: 5 });
  t.is(put.headers.etag, `"${id}.1"`);
  t.is((await agent().get(url).set('X-Tag', tag)).headers.etag, `"${id}.1"`);
});

/** The item ETag of a stored id: as it is when its text is short and of `[0-9A-Za-z_-]`, else a digest (sha256, base64url, 27 characters). */
const slugEtags: [string, (id: string) => string][] = [
  ['post-12_A', (id) => `"${id}.0"`],
  ['42', (id) => `"${id}.0"`],
  ['x'.repeat(64), (id) => `"${id}.0"`],
  ['x'.repeat(65), (id) => `"${createHash('sha256').update(`${id}\n0`).digest('base64url').slice(0, 27)}"`],
  ['a.b', (id) => `"${createHash('sha256').update(`${id}\n0`).digest('base64url').slice(0, 27)}"`],
  ['with "quotes" and spaces', (id) => `"${createHash('sha256').update(`${id}\n0`).digest('base64url').slice(0, 27)}"`],
  ['café', (id) => `"${createHash('sha256').update(`${id}\n0`).digest('base64url').slice(0, 27)}"`],
];

for (const [suffix, expected] of slugEtags) {
  test(`the item ETag of the string id ${JSON.stringify(suffix.length > 20 ? `${suffix.slice(0, 8)}…(${suffix.length})` : suffix)}`, async (t) => {
    // A unique id per run, of the same shape (a prefix of [0-9A-Za-z] keeps the plain cases plain).
    const id = suffix.length >= 64 ? `${uniqueTag('s').replace(/[^0-9A-Za-z]/g, '').slice(0, 8)}${suffix.slice(8)}` : `${uniqueTag('s').replace(/[^0-9A-Za-z]/g, '')}${suffix}`;
    await env().Slug.create({ _id: id, tag: 'slug', title: 'first' });
    const url = `/api/slugs/${encodeURIComponent(id)}/`;
    const res = await agent().get(url);
    t.is(res.status, 200);
    t.is(res.headers.etag, expected(id));
    // The tag works both ways: If-None-Match → 304, If-Match lets the write through, then a stale one is refused.
    t.is((await agent().get(url).set('If-None-Match', res.headers.etag!)).status, 304);
    const put = await agent().put(url).set('If-Match', res.headers.etag!).send({ title: 'second' });
    t.is(put.status, 200);
    t.not(put.headers.etag, res.headers.etag);
    const stale = await agent().put(url).set('If-Match', res.headers.etag!).send({ title: 'third' });
    t.is(stale.status, 412);
    t.deepEqual(stale.body, CHANGED);
  });
}

// ---- If-Match --------------------------------------------------------------------------------------------

test('If-Match with the current ETag lets PUT, PATCH and DELETE through; `*` too', async (t) => {
  const { tag, url } = await seed();
  const put = await agent().put(url).set('X-Tag', tag).set('If-Match', await etagOf(url, tag)).send({ title: 'a' });
  t.is(put.status, 200);
  const patch = await agent().patch(url).set('X-Tag', tag).set('If-Match', put.headers.etag!).send({ title: 'b' });
  t.is(patch.status, 200);
  t.is((await agent().put(url).set('X-Tag', tag).set('If-Match', '*').send({ title: 'c' })).status, 200);
  const removed = await agent().delete(url).set('X-Tag', tag).set('If-Match', await etagOf(url, tag));
  t.is(removed.status, 204);
});

test('If-Match with a stale ETag → 412 and nothing written (PUT, PATCH, JSON Patch, DELETE)', async (t) => {
  const { tag, id, url } = await seed();
  const stale = await etagOf(url, tag);
  await agent().put(url).set('X-Tag', tag).send({ count: 9 });
  assertJson(t, await agent().put(url).set('X-Tag', tag).set('If-Match', stale).send({ title: 'x' }), 412, CHANGED);
  assertJson(t, await agent().patch(url).set('X-Tag', tag).set('If-Match', stale).send({ title: 'x' }), 412, CHANGED);
  const jsonPatch = await agent()
    .patch(url)
    .set('X-Tag', tag)
    .set('If-Match', stale)
    .set('Content-Type', 'application/json-patch+json')
    .send(JSON.stringify([{ op: 'replace', path: '/title', value: 'x' }]));
  assertJson(t, jsonPatch, 412, CHANGED);
  assertJson(t, await agent().delete(url).set('X-Tag', tag).set('If-Match', stale), 412, CHANGED);
  const stored = await env().Item.findById(id).lean();
  t.is(stored?.title, 'first');
});

test('If-Match uses the strong comparison: a weak tag never matches', async (t) => {
  const { tag, url } = await seed();
  const etag = await etagOf(url, tag);
  assertJson(t, await agent().put(url).set('X-Tag', tag).set('If-Match', `W/${etag}`).send({ title: 'x' }), 412, CHANGED);
});

test('If-Match on a missing item → 404', async (t) => {
  const res = await agent().put(`/api/items/${new mongoose.Types.ObjectId().toHexString()}/`).set('If-Match', '"x"').send({ title: 'x' });
  assertJson(t, res, 404, { error: 'Not found' });
});

// Interleaved requests: the first request is held inside hasChangePermission (after its If-Match check,
// before its save) while a second request changes the document; released, the first must get 412. This
// holds because the first save's filter carries the version it checked. (The second request completes
// before the first save starts, so FerretDB — which can lose truly concurrent acknowledged updates — shows
// it as well as MongoDB does.)
test('interleaved: a change that lands between the If-Match check and the save → 412, never a lost update (PUT)', async (t) => {
  const { tag, id, url } = await seed();
  const etag = await etagOf(url, tag);
  const hold = uniqueTag('hold');
  const first = agent().put(url).set('X-Tag', tag).set('X-Hold', hold).set('If-Match', etag).send({ title: 'from the first' }).then((res) => res);
  await env().gates.reached(hold);
  const second = await agent().put(url).set('X-Tag', tag).set('If-Match', etag).send({ count: 2 });
  t.is(second.status, 200);
  env().gates.release(hold);
  assertJson(t, await first, 412, CHANGED);
  const stored = await env().Item.findById(id).lean();
  t.deepEqual([stored?.title, stored?.count], ['first', 2]);
});

test('interleaved: PATCH held after its check while another write lands → 412', async (t) => {
  const { tag, id, url } = await seed();
  const etag = await etagOf(url, tag);
  const hold = uniqueTag('hold');
  const first = agent().patch(url).set('X-Tag', tag).set('X-Hold', hold).set('If-Match', etag).send({ title: 'from the first' }).then((res) => res);
  await env().gates.reached(hold);
  t.is((await agent().patch(url).set('X-Tag', tag).send({ title: 'from the second' })).status, 200);
  env().gates.release(hold);
  assertJson(t, await first, 412, CHANGED);
  t.is((await env().Item.findById(id).lean())?.title, 'from the second');
});

test('interleaved: DELETE held after its check while another write lands → 412, the document stays', async (t) => {
  const { tag, id, url } = await seed();
  const etag = await etagOf(url, tag);
  const hold = uniqueTag('hold');
  const first = agent().delete(url).set('X-Tag', tag).set('X-Hold', hold).set('If-Match', etag).then((res) => res);
  await env().gates.reached(hold);
  t.is((await agent().put(url).set('X-Tag', tag).send({ title: 'kept' })).status, 200);
  env().gates.release(hold);
  assertJson(t, await first, 412, CHANGED);
  t.is((await env().Item.findById(id).lean())?.title, 'kept');
});

test('bulk PUT with If-Match: every matched document must carry a listed ETag; one stale → 412, nothing written', async (t) => {
  const a = await seed({ title: 'bulk' });
  const tag = a.tag;
  const b = await env().Item.create({ tag, title: 'bulk', count: 1 });
  const bUrl = `/api/items/${String(b._id)}/`;
  const etags = [await etagOf(a.url, tag), await etagOf(bUrl, tag)];
  const ok = await agent().put('/api/items/?title=bulk').set('X-Tag', tag).set('If-Match', etags.join(', ')).send({ count: 7 });
  assertJson(t, ok, 200, { count: 2 });
  // etags are stale now
  const refused = await agent().put('/api/items/?title=bulk').set('X-Tag', tag).set('If-Match', etags.join(', ')).send({ count: 8 });
  assertJson(t, refused, 412, CHANGED);
  const fresh = [await etagOf(a.url, tag), await etagOf(bUrl, tag)];
  const partial = await agent().put('/api/items/?title=bulk').set('X-Tag', tag).set('If-Match', fresh[0]!).send({ count: 8 });
  assertJson(t, partial, 412, CHANGED);
  t.deepEqual((await env().Item.find({ tag }).lean()).map((doc) => doc.count), [7, 7]);
  assertJson(t, await agent().put('/api/items/?title=bulk').set('X-Tag', tag).set('If-Match', '*').send({ count: 8 }), 200, { count: 2 });
});

// ---- requireIfMatch --------------------------------------------------------------------------------------

test('requireIfMatch: item writes without If-Match → 428; with it they go through', async (t) => {
  const { tag, url: itemUrl, id } = await seed();
  const url = itemUrl.replace('/items/', '/strict/');
  const required = { error: 'This request must be conditional: send If-Match with the ETag of the document.' };
  assertJson(t, await agent().put(url).set('X-Tag', tag).send({ title: 'x' }), 428, required);
  assertJson(t, await agent().patch(url).set('X-Tag', tag).send({ title: 'x' }), 428, required);
  assertJson(t, await agent().delete(url).set('X-Tag', tag), 428, required);
  t.is((await env().Item.findById(id).lean())?.title, 'first');
  const etag = await etagOf(url, tag);
  t.is((await agent().put(url).set('X-Tag', tag).set('If-Match', etag).send({ title: 'x' })).status, 200);
});

test('requireIfMatch on a schema without a version key throws at registration', (t) => {
  const { Plain } = env();
  class BadResource extends Resource {
    document = Plain;
    override requireIfMatch = true;
  }
  class BadView extends ResourceView {
    resource = BadResource;
    methods = [methods.Update];
  }
  t.throws(() => new MongoRest().register(BadView, { url: '/bad/' }), {
    instanceOf: TypeError,
    message: 'BadResource.requireIfMatch needs a version key on the schema (it has versionKey: false).',
  });
});

// ---- schemas without a version key -----------------------------------------------------------------------

test('a schema without a version key: no ETag; If-Match other than * → 412; * → 200', async (t) => {
  const tag = uniqueTag('plain');
  const doc = await env().Plain.create({ tag, title: 'p' });
  const url = `/api/plain/${String(doc._id)}/`;
  const res = await agent().get(url).set('X-Tag', tag);
  t.is(res.status, 200);
  t.is(res.headers.etag, undefined);
  assertJson(t, await agent().put(url).set('X-Tag', tag).set('If-Match', '"x"').send({ title: 'q' }), 412, CHANGED);
  t.is((await agent().put(url).set('X-Tag', tag).set('If-Match', '*').send({ title: 'q' })).status, 200);
});

test('a document stored without a version (raw insert) gets an ETag and a guarded write works', async (t) => {
  const tag = uniqueTag('raw');
  const { insertedId } = await env().Item.collection.insertOne({ tag, title: 'raw' });
  const url = `/api/items/${String(insertedId)}/`;
  const etag = await etagOf(url, tag);
  t.regex(etag, /^"/);
  const put = await agent().put(url).set('X-Tag', tag).set('If-Match', etag).send({ title: 'cooked' });
  t.is(put.status, 200);
  t.not(put.headers.etag, etag);
  assertJson(t, await agent().put(url).set('X-Tag', tag).set('If-Match', etag).send({ title: 'again' }), 412, CHANGED);
  t.is((await env().Item.findById(insertedId).lean())?.__v, 1);
});

// ---- Cache-Control ---------------------------------------------------------------------------------------

test('responses to authenticated requests carry Cache-Control: private, no-cache; anonymous ones none', async (t) => {
  const { tag, id } = await seed();
  const keyed = await agent().get(`/api/keyed/${id}/`).set('X-Tag', tag).set('X-Api-Key', 'k1');
  t.is(keyed.status, 200);
  t.is(keyed.headers['cache-control'], 'private, no-cache');
  const missing = await agent().get(`/api/keyed/${new mongoose.Types.ObjectId().toHexString()}/`).set('X-Api-Key', 'k1');
  t.is(missing.status, 404);
  t.is(missing.headers['cache-control'], 'private, no-cache');
  const anonymous = await agent().get(`/api/keyed/${id}/`).set('X-Tag', tag);
  t.is(anonymous.status, 200);
  t.is(anonymous.headers['cache-control'], undefined);
  t.is((await agent().get(`/api/items/${id}/`).set('X-Tag', tag)).headers['cache-control'], undefined);
});

test('interleaved without If-Match: a PUT whose document is deleted before its save → 404, nothing recreated', async (t) => {
  const { tag, id, url } = await seed();
  const hold = uniqueTag('hold');
  const first = agent().put(url).set('X-Tag', tag).set('X-Hold', hold).send({ title: 'late' }).then((res) => res);
  await env().gates.reached(hold);
  t.is((await agent().delete(url).set('X-Tag', tag)).status, 204);
  env().gates.release(hold);
  assertJson(t, await first, 404, { error: 'Not found' });
  t.is(await env().Item.exists({ _id: id }), null);
});

test('bulk DELETE with If-Match listing every current ETag deletes them', async (t) => {
  const { tag, url } = await seed({ title: 'gone' });
  const second = await env().Item.create({ tag, title: 'gone', count: 1 });
  const etags = [await etagOf(url, tag), await etagOf(`/api/items/${String(second._id)}/`, tag)];
  assertJson(t, await agent().delete('/api/items/?title=gone').set('X-Tag', tag).set('If-Match', etags.join(', ')), 200, { count: 2 });
});
