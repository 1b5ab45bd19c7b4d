/**
 * Aliases (issue 14 item 4): `aliases = { me: (ctx) => ctx.state.user?.id }` on a view serves the item
 * methods at `/users/me/` on the document whose pk the function gives: after authentication and the
 * `permissions` table; no pk → 401 (unauthenticated, with the strategies' challenge) or 404; the
 * document's own rules (read permission, ETags, If-Match, idempotency keys) apply as on its own URL.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  BearerAuthentication,
  MongoRest,
  Resource,
  ResourceView,
  action,
  allow,
  authenticated,
  methods,
  role,
  type AnyModel,
  type AnyQuery,
  type MethodPermissions,
  type RequestContext,
  type ResourceViewClass,
} from '../lib/index.js';
import type { ViewAliases } from '../lib/aliases/aliases.js';
import { useTestDatabase } from './fixtures/database.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);

let modelCount = 0;
function freshUsers(idType?: unknown): AnyModel {
  const shape: Record<string, unknown> = { name: { type: String, required: true }, hidden: { type: Boolean, default: false } };
  if (idType !== undefined) shape._id = idType;
  return database().connection.model(`AliasUser${++modelCount}`, new mongoose.Schema(shape));
}

interface Options {
  aliases?: ViewAliases;
  permissions?: MethodPermissions;
  anonymous?: boolean;
  schemaEndpoint?: boolean;
}

function userView(User: AnyModel, options: Options = {}): ResourceViewClass {
  class UserResource extends Resource {
    document = User;
    fields = ['id', 'name'];
  }
  const bearer = new BearerAuthentication({ verify: (token) => (token.startsWith('user:') ? { id: token.slice(5) } : token === 'service' ? { service: true } : null) });
  class UserView extends ResourceView {
    resource = UserResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Patch, methods.Delete];
    override authenticationMethods = options.anonymous ? [bearer, AnonymousAuthentication] : [bearer];
    override permissions = options.permissions;
    override schemaEndpoint = options.schemaEndpoint ?? false;
    aliases = options.aliases ?? { me: (ctx: RequestContext) => (ctx.state.user as { id?: string } | undefined)?.id };
    override hasReadPermission(_ctx: RequestContext, query: AnyQuery): AnyQuery {
      return query.where({ hidden: { $ne: true } });
    }
  }
  return UserView;
}

function serve(View: ResourceViewClass, Rest: typeof MongoRest = TestMongoRest, options: ConstructorParameters<typeof MongoRest>[0] = {}) {
  const errors: unknown[] = [];
  const api = new Rest({ prefix: '/api', onError: (error) => errors.push(error), ...options });
  api.register(View, { url: '/users/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { server: app.callback(), errors, api };
}

const as = (id: unknown) => ({ Authorization: `Bearer user:${String(id)}` });
const notFound = { error: 'Not found' };
const unauthorized = { error: 'Unauthorized' };

test('GET /users/me/ answers the caller’s own document, exactly as its own URL does', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  await User.create({ name: 'Alan' });
  const { server } = serve(userView(User));
  const me = await request(server).get('/api/users/me/').set(as(ada._id));
  t.is(me.status, 200);
  t.deepEqual(me.body, { id: String(ada._id), name: 'Ada' });
  const own = await request(server).get(`/api/users/${String(ada._id)}/`).set(as(ada._id));
  t.deepEqual(me.body, own.body);
  t.is(me.headers.etag, own.headers.etag);
  t.is(me.headers['cache-control'], 'private, no-cache');
  // Without the trailing slash, with parameters, and HEAD.
  const bare = await request(server).get('/api/users/me?_fields=name').set(as(ada._id));
  t.deepEqual([bare.status, bare.body], [200, { name: 'Ada' }]);
  const head = await request(server).head('/api/users/me/').set(as(ada._id));
  t.deepEqual([head.status, head.headers.etag], [200, own.headers.etag]);
});

test('PUT, PATCH and DELETE on /users/me/ change the caller’s document and no other', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  const alan = await User.create({ name: 'Alan' });
  const { server } = serve(userView(User));
  const put = await request(server).put('/api/users/me/').set(as(ada._id)).send({ name: 'Ada L.' });
  t.deepEqual([put.status, put.body], [200, { id: String(ada._id), name: 'Ada L.' }]);
  const patch = await request(server).patch('/api/users/me/').set(as(ada._id)).set('Content-Type', 'application/merge-patch+json').send({ name: 'Ada Lovelace' });
  t.deepEqual([patch.status, patch.body], [200, { id: String(ada._id), name: 'Ada Lovelace' }]);
  const removed = await request(server).delete('/api/users/me/').set(as(ada._id));
  t.deepEqual([removed.status, removed.text], [204, '']);
  t.deepEqual((await User.find().lean()).map((user: { name?: unknown }) => user.name), ['Alan']);
  t.is((await User.findById(alan._id).lean())?.name, 'Alan');
  // The caller's document is gone: its alias now finds nothing.
  const after = await request(server).get('/api/users/me/').set(as(ada._id));
  t.deepEqual([after.status, after.body], [404, notFound]);
});

test('no pk: 401 with the strategies’ challenge when unauthenticated, 404 when authenticated', async (t) => {
  const User = freshUsers();
  const open = serve(userView(User, { anonymous: true }));
  const anonymous = await request(open.server).get('/api/users/me/');
  t.deepEqual([anonymous.status, anonymous.body], [401, unauthorized]);
  t.is(anonymous.headers['www-authenticate'], 'Bearer');
  for (const method of ['put', 'patch', 'delete'] as const) {
    const response = await request(open.server)[method]('/api/users/me/').send({ name: 'x' });
    t.deepEqual([response.status, response.body], [401, unauthorized], method);
  }
  // A user without an id (a service account): authenticated, so 404.
  const service = await request(open.server).get('/api/users/me/').set('Authorization', 'Bearer service');
  t.deepEqual([service.status, service.body], [404, notFound]);
  // Without AnonymousAuthentication the strategies refuse first (the alias never runs).
  const closed = serve(userView(User));
  const refused = await request(closed.server).get('/api/users/me/');
  t.deepEqual([refused.status, refused.headers['www-authenticate']], [401, 'Bearer']);
});

test('the alias goes through the document’s rules: read permission, a pk that does not cast, a user that is gone', async (t) => {
  const User = freshUsers();
  const hidden = await User.create({ name: 'Hidden', hidden: true });
  const { server } = serve(userView(User));
  t.deepEqual((await request(server).get('/api/users/me/').set(as(hidden._id))).body, notFound, 'outside hasReadPermission');
  t.is((await request(server).put('/api/users/me/').set(as(hidden._id)).send({ name: 'x' })).status, 404);
  t.is((await request(server).get('/api/users/me/').set(as('not-an-object-id'))).status, 404);
  t.is((await request(server).get('/api/users/me/').set(as(new mongoose.Types.ObjectId()))).status, 404);
});

test('the alias runs after authentication and the permissions table: a refused caller never reaches it', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  const calls: unknown[] = [];
  const aliases = {
    me: (ctx: RequestContext) => {
      calls.push(ctx.state.user);
      return (ctx.state.user as { id?: string } | undefined)?.id;
    },
  };
  const { server } = serve(userView(User, { aliases, permissions: { Fetch: authenticated, Update: role('admin') } }));
  t.is((await request(server).get('/api/users/me/').set(as(ada._id))).status, 200);
  t.deepEqual(calls.splice(0), [{ id: String(ada._id) }], 'ctx.state.user is set when the alias runs');
  const refused = await request(server).put('/api/users/me/').set(as(ada._id)).send({ name: 'x' });
  t.deepEqual([refused.status, refused.body], [403, { error: 'Forbidden' }]);
  t.deepEqual(calls, []);
});

test('405 and "Did you mean to use PUT?" answer on alias URLs as on item URLs; OPTIONS lists the item methods', async (t) => {
  const User = freshUsers();
  const { server } = serve(userView(User));
  const post = await request(server).post('/api/users/me/').send({ name: 'x' });
  t.deepEqual([post.status, post.body], [404, { error: 'Did you mean to use PUT?' }]);
  const options = await request(server).options('/api/users/me/').set(as('x'));
  t.deepEqual([options.status, options.headers.allow], [204, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS']);
});

test('conditional requests: If-None-Match → 304, a stale If-Match → 412 and nothing written', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  const { server } = serve(userView(User));
  const first = await request(server).get('/api/users/me/').set(as(ada._id));
  const etag = first.headers.etag as string;
  t.is((await request(server).get('/api/users/me/').set(as(ada._id)).set('If-None-Match', etag)).status, 304);
  const put = await request(server).put('/api/users/me/').set(as(ada._id)).set('If-Match', etag).send({ name: 'Ada L.' });
  t.is(put.status, 200);
  const stale = await request(server).put('/api/users/me/').set(as(ada._id)).set('If-Match', etag).send({ name: 'Nope' });
  t.deepEqual([stale.status, stale.body], [412, { error: 'The document has changed since you read it.' }]);
  t.is((await User.findById(ada._id).lean())?.name, 'Ada L.');
});

test('idempotency keys on an alias are keyed by the document it resolves to: a retry replays, the same key on the document’s own URL is the same request', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  const { server } = serve(userView(User), TestMongoRest, { idempotency: true });
  const put = (url: string, name: string) => request(server).put(url).set(as(ada._id)).set('Idempotency-Key', 'k-1').send({ name });
  const first = await put('/api/users/me/', 'Ada L.');
  t.deepEqual([first.status, first.body, first.headers['idempotent-replayed']], [200, { id: String(ada._id), name: 'Ada L.' }, undefined]);
  await User.updateOne({ _id: ada._id }, { name: 'Changed meanwhile' });
  const retry = await put('/api/users/me/', 'Ada L.');
  t.deepEqual([retry.status, retry.body, retry.headers['idempotent-replayed']], [200, first.body, 'true']);
  const own = await put(`/api/users/${String(ada._id)}/`, 'Ada L.');
  t.deepEqual([own.status, own.headers['idempotent-replayed']], [200, 'true']);
  const other = await put('/api/users/me/', 'Someone else');
  t.deepEqual([other.status, other.body], [422, { error: 'This Idempotency-Key was already used for a different request.' }]);
  t.is((await User.findById(ada._id).lean())?.name, 'Changed meanwhile', 'no retry wrote again');
});

test('what the alias function gives: an ObjectId, a number pk, a string pk; anything else or a throw is a 500', async (t) => {
  const User = freshUsers();
  const ada = await User.create({ name: 'Ada' });
  const objectId = serve(userView(User, { aliases: { first: () => ada._id, broken: () => ({ id: 1 }), throws: () => { throw new Error('bug'); }, later: async () => String(ada._id) } }));
  t.deepEqual((await request(objectId.server).get('/api/users/first/').set(as('x'))).body, { id: String(ada._id), name: 'Ada' });
  t.is((await request(objectId.server).get('/api/users/later/').set(as('x'))).status, 200, 'async');
  for (const name of ['broken', 'throws']) {
    const response = await request(objectId.server).get(`/api/users/${name}/`).set(as('x'));
    t.deepEqual([response.status, response.body], [500, { error: 'Internal Server Error' }], name);
  }
  t.is(objectId.errors.length, 2);

  const Numbered = freshUsers(Number);
  await Numbered.create({ _id: 7, name: 'Seven' });
  const numbered = serve(userView(Numbered, { aliases: { lucky: () => 7 } }));
  t.deepEqual((await request(numbered.server).get('/api/users/lucky/').set(as('x'))).body, { id: '7', name: 'Seven' });

  // String pks: every segment is a valid pk, so the alias takes precedence over a document called "me".
  const Named = freshUsers(String);
  await Named.create([{ _id: 'me', name: 'Called me' }, { _id: 'ada', name: 'Ada' }]);
  const named = serve(userView(Named));
  t.deepEqual((await request(named.server).get('/api/users/me/').set(as('ada'))).body, { id: 'ada', name: 'Ada' });
  t.deepEqual((await request(named.server).get('/api/users/ada/').set(as('ada'))).body, { id: 'ada', name: 'Ada' });
});

test('bad aliases are refused at register', (t) => {
  const User = freshUsers();
  const Numbered = freshUsers(Number);
  const register = (Model: AnyModel, options: Options) => () => new MongoRest().register(userView(Model, options), { url: '/users/' });
  const cases: Array<[AnyModel, Options, RegExp]> = [
    [User, { aliases: { '': () => 1 } }, /"" is not a literal URL segment/],
    [User, { aliases: { '.': () => 1 } }, /"\." is not a literal URL segment/],
    [User, { aliases: { '..': () => 1 } }, /"\.\." is not a literal URL segment/],
    [User, { aliases: { 'a/b': () => 1 } }, /"a\/b" is not a literal URL segment/],
    [User, { aliases: { 'my self': () => 1 } }, /is not a literal URL segment/],
    [User, { aliases: { ':pk': () => 1 } }, /is not a literal URL segment/],
    [User, { aliases: { 'mé': () => 1 } }, /is not a literal URL segment/],
    [User, { aliases: { ['x'.repeat(65)]: () => 1 } }, /at most 64 characters/],
    [User, { aliases: { me: 'self' as unknown as () => unknown } }, /aliases\.me must be a function/],
    [User, { aliases: [] as unknown as ViewAliases }, /aliases must be an object/],
    [User, { aliases: { '0123456789abcdef01234567': () => 1 } }, /"0123456789abcdef01234567" is also a valid ObjectId pk of AliasUser\d+; the alias would hide that document/],
    [Numbered, { aliases: { '42': () => 1 } }, /"42" is also a valid Number pk/],
    [User, { aliases: { schema: () => 1 }, schemaEndpoint: true }, /"schema" is already the schema endpoint of this view/],
  ];
  for (const [Model, options, message] of cases) {
    t.throws(register(Model, options), { instanceOf: TypeError, message }, JSON.stringify(Object.keys(options.aliases ?? {})));
  }
  t.notThrows(register(User, { aliases: { me: () => 1, 'current-user': () => 1, 'v1.self': () => 1, schema: () => 1 } }), 'schema is free without the schema endpoint');
  t.notThrows(register(Numbered, { aliases: { me: () => 1 } }));
});

test('a view without aliases answers an item URL named like an alias as a pk (404 when none)', async (t) => {
  const User = freshUsers();
  const { server } = serve(userView(User, { aliases: {}, permissions: { Fetch: allow } }));
  t.deepEqual((await request(server).get('/api/users/me/').set(as('x'))).body, notFound);
});

test('item actions on an alias URL act on the document the alias gives: /users/me/<action>/ (and the OpenAPI document lists that path)', async (t) => {
  const User = freshUsers();
  const [ann, bob] = await User.create([{ name: 'Ann' }, { name: 'Bob' }]);
  class UserResource extends Resource {
    document = User;
    fields = ['id', 'name'];
  }
  const bearer = new BearerAuthentication({ verify: (token) => (token.startsWith('user:') ? { id: token.slice(5) } : token === 'service' ? { service: true } : null) });
  class UserView extends ResourceView {
    resource = UserResource;
    methods = [methods.Fetch];
    override authenticationMethods = [bearer, AnonymousAuthentication];
    aliases = { me: (ctx: RequestContext) => (ctx.state.user as { id?: string } | undefined)?.id };
    actions = [
      action({
        name: 'shout',
        target: 'item',
        handler: async (_ctx, { doc }) => {
          doc.name = `${String(doc.name).toUpperCase()}!`;
          await doc.save();
          return doc;
        },
      }),
    ];
  }
  const { server, api } = serve(UserView);
  const shouted = await request(server).post('/api/users/me/shout/').set(as(ann!._id));
  t.is(shouted.status, 200);
  t.deepEqual(shouted.body, { id: String(ann!._id), name: 'ANN!' });
  t.is(((await User.findById(bob!._id).lean()) as { name: string }).name, 'Bob', 'no other document');
  // No pk from the alias: 401 (with the challenge) when unauthenticated, 404 when authenticated.
  const anonymous = await request(server).post('/api/users/me/shout/');
  t.is(anonymous.status, 401);
  t.deepEqual(anonymous.body, unauthorized);
  t.is(anonymous.headers['www-authenticate'], 'Bearer');
  const service = await request(server).post('/api/users/me/shout/').set({ Authorization: 'Bearer service' });
  t.is(service.status, 404);
  t.deepEqual(service.body, notFound);
  t.is((await request(server).get('/api/users/me/shout/').set(as(ann!._id))).status, 405);
  const spec = api.openapi() as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading a JSON document
  const paths = Object.keys(spec.paths);
  t.true(paths.indexOf('/api/users/me/shout/') >= 0 && paths.indexOf('/api/users/me/shout/') < paths.indexOf('/api/users/{id}/shout/'), paths.join(' '));
  const op = spec.paths['/api/users/me/shout/'].post;
  t.is(op.operationId, `${spec.paths['/api/users/{id}/shout/'].post.operationId}Me`);
  t.truthy(op.responses['401']);
  t.false('parameters' in spec.paths['/api/users/me/shout/'], 'no {id} parameter');
});
