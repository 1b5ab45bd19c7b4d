/**
 * Bulk delete and bulk create (issue 12 §3–4). BulkDelete: at least one declared filter, unknown keys 400,
 * bulkDeleteLimit checked before anything is deleted, hasDeletePermission on every match first, If-Match,
 * `{"count": n}`. BulkCreate: an array body, bulkCreateLimit, field-errors keyed by index, hasAddPermission
 * on all first, `201 {"data": [...]}` in input order, unique conflicts in the batch or with stored
 * documents → 409 before anything is written; a view without it keeps answering 400 for arrays.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, ValidationError, allow, methods, ops, type AnyDocument, type PlainDocument, type RequestContext } from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

async function build(connection: Connection) {
  const Member = connection.model(
    'Member',
    new mongoose.Schema({
      tag: String,
      email: { type: String, required: true, unique: true },
      name: { type: String, maxlength: 10 },
      rank: { type: Number, min: 0 },
      team: { type: mongoose.Schema.Types.ObjectId, ref: 'Team' },
    }),
  );
  const Team = connection.model('Team', new mongoose.Schema({ name: { type: String, required: true, maxlength: 10 } }));
  await Member.init();

  class TeamResource extends Resource {
    document = Team;
  }
  class MemberResource extends Resource {
    document = Member;
    override fields = ['id', 'tag', 'email', 'name', 'rank', 'team'];
    override renameFields = { email: 'mail' };
    override filters = { rank: [ops.Exact, ops.Gte], name: [ops.Exact] };
    override relatedResources = { team: TeamResource };
    override saveRelatedFields = ['team'];
    override bulkDeleteLimit = 3;
    override bulkCreateLimit = 4;
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
    override validateRequest(_ctx: RequestContext, data: PlainDocument) {
      if (data.name === 'forbidden') throw new ValidationError({ 'field-errors': { name: 'not this one' } });
    }
  }
  class MemberView extends ResourceView {
    resource = MemberResource;
    methods = [methods.List, methods.Create, methods.BulkCreate, methods.BulkUpdate, methods.BulkDelete];
    override hasDeletePermission(ctx: RequestContext, doc: AnyDocument) {
      return doc.get('name') !== ctx.get('X-Protect');
    }
    override hasAddPermission(ctx: RequestContext, doc: AnyDocument) {
      return doc.get('name') !== ctx.get('X-Protect');
    }
  }
  class CreateOnlyView extends ResourceView {
    resource = MemberResource;
    methods = [methods.Create];
  }
  class BulkCreateOnlyView extends ResourceView {
    resource = MemberResource;
    methods = [methods.BulkCreate];
  }
  class TableView extends ResourceView {
    resource = MemberResource;
    methods = [methods.Create, methods.BulkCreate, methods.BulkDelete];
    permissions = { Create: allow };
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(MemberView, { url: '/members/' });
  api.register(CreateOnlyView, { url: '/create-only/', name: 'create-only' });
  api.register(BulkCreateOnlyView, { url: '/bulk-only/', name: 'bulk-only' });
  api.register(TableView, { url: '/table/', name: 'table' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Member, Team };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);
const email = () => `${uniqueTag('m')}@example.com`;

async function seed(count: number, fields: (index: number) => Record<string, unknown> = () => ({})) {
  const tag = uniqueTag('bulk');
  const docs = await env().Member.create(Array.from({ length: count }, (_, index) => ({ tag, email: email(), name: `n${index}`, rank: index, ...fields(index) })));
  return { tag, ids: docs.map((doc) => String(doc._id)) };
}

// ---- BulkDelete ------------------------------------------------------------------------------------------

test('bulk DELETE removes every match and answers {"count": n}; the rest stays', async (t) => {
  const { tag } = await seed(4);
  assertJson(t, await agent().delete('/api/members/?rank__gte=2').set('X-Tag', tag), 200, { count: 2 });
  t.deepEqual((await env().Member.find({ tag }).sort({ rank: 1 }).lean()).map((doc) => doc.rank), [0, 1]);
});

test('bulk DELETE matching nothing → {"count": 0}', async (t) => {
  const { tag } = await seed(1);
  assertJson(t, await agent().delete('/api/members/?rank=99').set('X-Tag', tag), 200, { count: 0 });
});

test('bulk DELETE without a filter → 400 and nothing deleted (reserved parameters are no filters)', async (t) => {
  const { tag } = await seed(2);
  for (const url of ['/api/members/', '/api/members/?_limit=1', '/api/members/?_order_by=rank']) {
    assertJson(t, await agent().delete(url).set('X-Tag', tag), 400, { error: 'A bulk delete needs at least one filter.' });
  }
  t.is(await env().Member.countDocuments({ tag }), 2);
});

test('bulk DELETE with an undeclared filter → 400 and nothing deleted', async (t) => {
  const { tag } = await seed(2);
  assertJson(t, await agent().delete('/api/members/?rank=1&email=x').set('X-Tag', tag), 400, { error: 'Unknown filter "email".' });
  t.is(await env().Member.countDocuments({ tag }), 2);
});

test('bulk DELETE matching more than bulkDeleteLimit → 400 before anything is deleted; exactly the limit is allowed', async (t) => {
  const { tag } = await seed(4);
  assertJson(t, await agent().delete('/api/members/?rank__gte=0').set('X-Tag', tag), 400, { error: "It's not allowed to delete more than 3 objects at once" });
  t.is(await env().Member.countDocuments({ tag }), 4);
  assertJson(t, await agent().delete('/api/members/?rank__gte=1').set('X-Tag', tag), 200, { count: 3 });
});

test('bulk DELETE: one refusal of hasDeletePermission → 403 and nothing deleted', async (t) => {
  const { tag } = await seed(3);
  assertJson(t, await agent().delete('/api/members/?rank__gte=0').set('X-Tag', tag).set('X-Protect', 'n2'), 403, { error: 'Forbidden' });
  t.is(await env().Member.countDocuments({ tag }), 3);
});

test('bulk DELETE is narrowed by the queryset (other documents matching the filter stay)', async (t) => {
  const mine = await seed(1, () => ({ rank: 50 }));
  const theirs = await seed(1, () => ({ rank: 50 }));
  assertJson(t, await agent().delete('/api/members/?rank=50').set('X-Tag', mine.tag), 200, { count: 1 });
  t.is(await env().Member.countDocuments({ tag: theirs.tag }), 1);
});

test('bulk DELETE with If-Match: a match whose ETag is not listed → 412 and nothing deleted; `*` passes', async (t) => {
  const { tag } = await seed(2);
  assertJson(t, await agent().delete('/api/members/?rank__gte=0').set('X-Tag', tag).set('If-Match', '"not-current"'), 412, {
    error: 'The document has changed since you read it.',
  });
  t.is(await env().Member.countDocuments({ tag }), 2);
  assertJson(t, await agent().delete('/api/members/?rank__gte=0').set('X-Tag', tag).set('If-Match', '*'), 200, { count: 2 });
});

test('the permissions table names BulkDelete: unlisted → 403', async (t) => {
  const { tag } = await seed(1);
  assertJson(t, await agent().delete('/api/table/?rank=0').set('X-Tag', tag), 403, { error: 'Forbidden' });
  t.is(await env().Member.countDocuments({ tag }), 1);
});

// ---- BulkCreate ------------------------------------------------------------------------------------------

test('bulk POST creates every item and answers 201 {"data": [...]} in input order', async (t) => {
  const tag = uniqueTag('bc');
  const mails = [email(), email(), email()];
  const res = await agent().post('/api/members/').send(mails.map((mail, index) => ({ tag, mail, name: `i${index}`, rank: 3 - index })));
  t.is(res.status, 201, JSON.stringify(res.body));
  t.deepEqual(
    (res.body.data as PlainDocument[]).map(({ mail, name, rank }) => ({ mail, name, rank })),
    mails.map((mail, index) => ({ mail, name: `i${index}`, rank: 3 - index })),
  );
  t.is(res.headers.location, undefined);
  const stored = await env().Member.find({ tag }).lean();
  // Sorted: a find without a sort has no defined order (FerretDB over PostgreSQL returns these in another),
  // and ava compares Sets in insertion order.
  t.deepEqual(stored.map((doc) => String(doc._id)).sort(), (res.body.data as { id: string }[]).map((item) => item.id).sort());
});

test('bulk POST of an empty list → 201 {"data": []}', async (t) => {
  assertJson(t, await agent().post('/api/members/').send([]), 201, { data: [] });
});

test('bulk POST with more than bulkCreateLimit items → 400, nothing written', async (t) => {
  const tag = uniqueTag('bc');
  const res = await agent().post('/api/members/').send(Array.from({ length: 5 }, () => ({ tag, mail: email() })));
  assertJson(t, res, 400, { error: "It's not allowed to create more than 4 objects at once" });
  t.is(await env().Member.countDocuments({ tag }), 0);
});

test('bulk POST: invalid items → 400 field-errors keyed by index, nothing written', async (t) => {
  const tag = uniqueTag('bc');
  const res = await agent()
    .post('/api/members/')
    .send([{ tag, mail: email() }, { tag, name: 'x' }, { tag, mail: email(), rank: -1, name: 'forbidden' }, { tag, mail: email(), name: 'much too long' }]);
  t.is(res.status, 400, JSON.stringify(res.body));
  const errors = res.body['field-errors'] as Record<string, Record<string, string>>;
  t.deepEqual(Object.keys(errors), ['1', '2', '3']);
  t.deepEqual(Object.keys(errors['1']!), ['mail']);
  t.deepEqual(errors['2'], { name: 'not this one' });
  t.deepEqual(Object.keys(errors['3']!), ['name']);
  t.is(await env().Member.countDocuments({ tag }), 0);
});

test('bulk POST: an item that is not an object → 400 naming it', async (t) => {
  assertJson(t, await agent().post('/api/members/').send([{ mail: email() }, 'x']), 400, { error: 'Item 1 must be an object.' });
});

test('bulk POST: one refusal of hasAddPermission → 403, nothing written', async (t) => {
  const tag = uniqueTag('bc');
  const res = await agent().post('/api/members/').set('X-Protect', 'bad').send([{ tag, mail: email(), name: 'ok' }, { tag, mail: email(), name: 'bad' }]);
  assertJson(t, res, 403, { error: 'Forbidden' });
  t.is(await env().Member.countDocuments({ tag }), 0);
});

test('bulk POST: a unique value repeated in the batch → 409 naming the items, nothing written', async (t) => {
  const tag = uniqueTag('bc');
  const mail = email();
  const res = await agent().post('/api/members/').send([{ tag, mail }, { tag, mail: email() }, { tag, mail }]);
  assertJson(t, res, 409, { error: 'A document with the same unique value already exists.', 'field-errors': { '2': { mail: 'already exists' } } });
  t.is(await env().Member.countDocuments({ tag }), 0);
});

test('bulk POST: a unique value a stored document holds → 409 naming the item, nothing written', async (t) => {
  const { tag } = await seed(1);
  const taken = (await env().Member.findOne({ tag }).lean())!.email;
  const res = await agent().post('/api/members/').send([{ tag, mail: email() }, { tag, mail: taken }]);
  assertJson(t, res, 409, { error: 'A document with the same unique value already exists.', 'field-errors': { '1': { mail: 'already exists' } } });
  t.is(await env().Member.countDocuments({ tag }), 1);
});

test('bulk POST: nested saveRelatedFields objects are created per item', async (t) => {
  const tag = uniqueTag('bc');
  const res = await agent().post('/api/members/').send([{ tag, mail: email(), team: { name: 'red' } }, { tag, mail: email(), team: { name: 'blue' } }]);
  t.is(res.status, 201, JSON.stringify(res.body));
  const teams = (res.body.data as { team: { id: string; name: string } }[]).map((item) => item.team);
  t.deepEqual(teams.map((team) => team.name), ['red', 'blue']);
  t.not(teams[0]!.id, teams[1]!.id);
  t.is(await env().Team.countDocuments({ _id: { $in: teams.map((team) => team.id) } }), 2);
  const bad = await agent().post('/api/members/').send([{ tag, mail: email() }, { tag, mail: email(), team: { name: 'far too long name' } }]);
  t.is(bad.status, 400);
  t.deepEqual(Object.keys((bad.body['field-errors'] as Record<string, object>)['1']!), ['team.name']);
});

test('a single object still creates one document (201 + Location) on a view with both Create and BulkCreate', async (t) => {
  const res = await agent().post('/api/members/').send({ mail: email(), name: 'one' });
  t.is(res.status, 201);
  t.is(res.body.name, 'one');
  t.regex(res.headers.location ?? '', /^\/api\/members\/[0-9a-f]{24}\/$/);
});

test('a view without BulkCreate keeps answering 400 for arrays; one with only BulkCreate answers 400 for objects', async (t) => {
  assertJson(t, await agent().post('/api/create-only/').send([{ mail: email() }]), 400, { error: 'JSON data must be an object.' });
  assertJson(t, await agent().post('/api/bulk-only/').send({ mail: email() }), 400, { error: 'JSON data must be a list of objects.' });
  t.is((await agent().post('/api/bulk-only/').send([{ mail: email() }])).status, 201);
});

test('the permissions table names BulkCreate: an array body is refused when only Create is listed', async (t) => {
  const tag = uniqueTag('bc');
  assertJson(t, await agent().post('/api/table/').send([{ tag, mail: email() }]), 403, { error: 'Forbidden' });
  t.is((await agent().post('/api/table/').send({ tag, mail: email() })).status, 201);
  t.is(await env().Member.countDocuments({ tag }), 1);
});
