/**
 * Authentication (SPEC §3, issue 6): strategies run before the body is read or the database is used,
 * fail closed, apply to HEAD and OPTIONS like GET; the shipped ApiKeyAuthentication and
 * BearerAuthentication; the declarative `permissions` table (`allow`, `role(...)`, deny by default).
 * Black-box: supertest against a real Koa app on the file's own database.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { useTestDatabase } from './fixtures/database.js';
import {
  AnonymousAuthentication,
  ApiKeyAuthentication,
  AuthenticationBase,
  BearerAuthentication,
  Forbidden,
  Resource,
  ResourceView,
  allow,
  authenticated,
  deny,
  methods,
  ops,
  role,
  rolesOf,
  type AnyModel,
  type AnyQuery,
  type AuthenticationSpec,
  type MethodMarker,
  type MethodPermissions,
  type MongoRestOptions,
  type PlainDocument,
  type RequestContext,
  type ResourceViewClass,
} from '../lib/index.js';
import { checkMethodPermission } from '../lib/auth/roles.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);

let modelCount = 0;
/** A posts model of its own (own collection), so concurrent tests never see each other's documents. */
function freshModel(): AnyModel {
  const schema = new mongoose.Schema({
    title: { type: String, required: true, maxlength: 200 },
    owner: String,
    is_published: { type: Boolean, default: false },
  });
  return database().connection.model(`AuthPost${++modelCount}`, schema);
}

/** Titles of every document in the collection, sorted. */
async function titles(Post: AnyModel): Promise<string[]> {
  const docs = (await Post.find().sort({ title: 1 }).lean()) as Array<{ title: string }>;
  return docs.map((doc) => doc.title);
}

const allMethods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];

interface ViewOptions {
  methods?: MethodMarker[];
  auth?: AuthenticationSpec[];
  permissions?: MethodPermissions;
  /** Called by hasReadPermission / getQueryset: proves (by not being called) that no lookup started. */
  spy?: (what: string) => void;
}

/** A view on `model` at `/api/posts/`; the computed field `viewer` outputs `ctx.state.user`. */
function postView(model: AnyModel, options: ViewOptions = {}): ResourceViewClass {
  const spy = options.spy ?? (() => undefined);
  class PostResource extends Resource {
    document = model;
    fields = ['id', 'title', 'owner', 'is_published', 'viewer'];
    renameFields = { is_published: 'published' };
    filters = { title: [ops.Exact] };
    override getQueryset(ctx: RequestContext): AnyQuery {
      spy('getQueryset');
      return super.getQueryset(ctx);
    }
    viewer(_doc: PlainDocument, ctx: RequestContext): unknown {
      return ctx.state.user ?? null;
    }
  }
  class PostView extends ResourceView {
    resource = PostResource;
    methods = options.methods ?? allMethods;
    override authenticationMethods = options.auth ?? [];
    override permissions = options.permissions;
    override hasReadPermission(_ctx: RequestContext, query: AnyQuery): AnyQuery {
      spy('hasReadPermission');
      return query;
    }
    override hasAddPermission(): boolean {
      spy('hasAddPermission');
      return true;
    }
  }
  return PostView;
}

/** A Koa app serving `View` at `/api/posts/`; unexpected errors are collected, not printed. */
function serve(View: ResourceViewClass, options: MongoRestOptions = {}) {
  const errors: unknown[] = [];
  const api = new TestMongoRest({ prefix: '/api', onError: (error) => errors.push(error), ...options });
  api.register(View, { url: '/posts/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { server: app.callback(), errors };
}

class Refuse extends AuthenticationBase {
  authorized(): boolean {
    return false;
  }
}
/** Passes with the header `X-Secret: open-sesame`. */
class HeaderSecret extends AuthenticationBase {
  override scheme = 'Secret';
  authorized(ctx: RequestContext): boolean {
    return ctx.get('X-Secret') === 'open-sesame';
  }
}

const unauthorized = { error: 'Unauthorized' };
const forbidden = { error: 'Forbidden' };
const internal = { error: 'Internal Server Error' };

// ---- authentication core --------------------------------------------------------------------------

test('no strategy listed: the view is open', async (t) => {
  const { server } = serve(postView(freshModel()));
  const created = await request(server).post('/api/posts/').send({ title: 'open' });
  t.is(created.status, 201, JSON.stringify(created.body));
  const listed = await request(server).get('/api/posts/');
  t.is(listed.status, 200);
  t.deepEqual(listed.body.data.map((post: PlainDocument) => post.title), ['open']);
});

test('a refusing strategy: 401 {"error":"Unauthorized"} on every method, nothing read or written, no challenge without a scheme', async (t) => {
  const Post = freshModel();
  const post = await Post.create({ title: 'kept' });
  const { server } = serve(postView(Post, { auth: [Refuse] }));
  const id = String(post._id);
  const responses = [
    await request(server).get('/api/posts/'),
    await request(server).get(`/api/posts/${id}/`),
    await request(server).post('/api/posts/').send({ title: 'new' }),
    await request(server).put(`/api/posts/${id}/`).send({ title: 'changed' }),
    await request(server).put('/api/posts/?title=kept').send({ title: 'bulk' }),
    await request(server).delete(`/api/posts/${id}/`),
  ];
  for (const response of responses) {
    t.deepEqual([response.status, response.body], [401, unauthorized]);
    t.is(response.headers['www-authenticate'], undefined);
    t.regex(response.headers['content-type'] ?? '', /^application\/json/);
  }
  t.deepEqual(await titles(Post), ['kept']);
});

test('401 carries WWW-Authenticate naming every scheme of the listed strategies', async (t) => {
  const bearer = new BearerAuthentication({ tokens: ['t0k3n'], realm: 'api' });
  const { server } = serve(postView(freshModel(), { auth: [HeaderSecret, Refuse, bearer] }));
  const response = await request(server).get('/api/posts/');
  t.deepEqual([response.status, response.body], [401, unauthorized]);
  t.is(response.headers['www-authenticate'], 'Secret, Bearer realm="api"');
});

test('any one strategy passing authorizes; strategies after a pass are not consulted', async (t) => {
  const asked: string[] = [];
  class Recorder extends AuthenticationBase {
    constructor(readonly label: string, readonly answer: boolean) {
      super();
    }
    authorized(): boolean {
      asked.push(this.label);
      return this.answer;
    }
  }
  const { server } = serve(postView(freshModel(), { auth: [new Recorder('a', false), new Recorder('b', true), new Recorder('c', true)] }));
  const response = await request(server).get('/api/posts/');
  t.is(response.status, 200);
  t.deepEqual(asked, ['a', 'b']);

  const secret = serve(postView(freshModel(), { auth: [Refuse, HeaderSecret] }));
  t.is((await request(secret.server).get('/api/posts/').set('X-Secret', 'open-sesame')).status, 200);
  t.is((await request(secret.server).get('/api/posts/').set('X-Secret', 'wrong')).status, 401);
});

test('only a literal true authorizes (fail closed)', async (t) => {
  for (const answer of [1, 'true', {}, [], 'yes']) {
    class Truthy extends AuthenticationBase {
      authorized(): boolean {
        return answer as unknown as boolean;
      }
    }
    class AsyncTruthy extends AuthenticationBase {
      async authorized(): Promise<boolean> {
        return answer as unknown as boolean;
      }
    }
    const { server } = serve(postView(freshModel(), { auth: [Truthy, AsyncTruthy] }));
    const response = await request(server).get('/api/posts/');
    t.deepEqual([response.status, response.body], [401, unauthorized], JSON.stringify(answer));
  }
});

test('authentication runs before the body is read, parameters are checked or the database is used', async (t) => {
  const Post = freshModel();
  const post = await Post.create({ title: 'kept' });
  const id = String(post._id);
  const calls: string[] = [];
  const View = postView(Post, { auth: [HeaderSecret], spy: (what) => calls.push(what) });
  const { server } = serve(View, { bodyLimit: 64 });
  const big = JSON.stringify({ title: 'x'.repeat(4096) });
  const attempts = (secret: string) => [
    request(server).post('/api/posts/').set('X-Secret', secret).set('Content-Type', 'application/json').send('{bad json'),
    request(server).post('/api/posts/').set('X-Secret', secret).set('Content-Type', 'application/json').send(big),
    request(server).post('/api/posts/').set('X-Secret', secret).set('Content-Type', 'text/plain').send('hello'),
    request(server).put(`/api/posts/${id}/`).set('X-Secret', secret).set('Content-Type', 'application/json').send('[1]'),
    request(server).put('/api/posts/?no_such_filter=1').set('X-Secret', secret).send({ title: 'bulk' }),
    request(server).get('/api/posts/?_limit=abc').set('X-Secret', secret),
    request(server).get('/api/posts/not-an-object-id/').set('X-Secret', secret),
    request(server).get('/api/posts/').set('X-Secret', secret),
    request(server).get(`/api/posts/${id}/`).set('X-Secret', secret),
  ];

  for (const response of await Promise.all(attempts('wrong'))) {
    t.deepEqual([response.status, response.body], [401, unauthorized]);
    t.is(response.headers['www-authenticate'], 'Secret');
  }
  t.deepEqual(calls, [], 'no lookup started and no permission hook ran');

  // The same requests with the right credentials reach the body and parameter checks, and the lookups.
  const statuses = (await Promise.all(attempts('open-sesame'))).map((response) => response.status);
  t.deepEqual(statuses, [400, 413, 415, 400, 400, 400, 404, 200, 200]);
  t.deepEqual(calls.sort(), ['getQueryset', 'getQueryset', 'hasReadPermission', 'hasReadPermission']);
  t.deepEqual(await titles(Post), ['kept']);
});

test('a strategy that throws (or rejects) answers 500 — no data, never access, later strategies not asked', async (t) => {
  let laterAsked = false;
  class Later extends AuthenticationBase {
    authorized(): boolean {
      laterAsked = true;
      return true;
    }
  }
  class Throws extends AuthenticationBase {
    authorized(): boolean {
      throw new Error('identity provider down');
    }
  }
  class Rejects extends AuthenticationBase {
    async authorized(): Promise<boolean> {
      throw new Error('identity provider down');
    }
  }
  const Post = freshModel();
  await Post.create({ title: 'secret' });
  for (const Strategy of [Throws, Rejects]) {
    const { server, errors } = serve(postView(Post, { auth: [Strategy, Later] }));
    const listed = await request(server).get('/api/posts/');
    t.deepEqual([listed.status, listed.body], [500, internal]);
    t.false(JSON.stringify(listed.body).includes('secret'));
    const created = await request(server).post('/api/posts/').send({ title: 'sneaky' });
    t.deepEqual([created.status, created.body], [500, internal]);
    t.is(errors.length, 2, 'reported to onError');
  }
  t.false(laterAsked);
  t.deepEqual(await titles(Post), ['secret']);
});

test('HEAD and OPTIONS are authenticated like GET; a CORS preflight is not', async (t) => {
  const Post = freshModel();
  const post = await Post.create({ title: 'p' });
  const item = `/api/posts/${String(post._id)}/`;
  const { server } = serve(postView(Post, { auth: [HeaderSecret] }));

  for (const url of ['/api/posts/', item]) {
    const head = await request(server).head(url);
    t.is(head.status, 401);
    t.is(head.headers['www-authenticate'], 'Secret');
    t.is((await request(server).head(url).set('X-Secret', 'open-sesame')).status, 200);

    const options = await request(server).options(url);
    t.deepEqual([options.status, options.body], [401, unauthorized]);
    t.is(options.headers['www-authenticate'], 'Secret');
    const allowed = await request(server).options(url).set('X-Secret', 'open-sesame');
    t.is(allowed.status, 204);
    t.truthy(allowed.headers.allow);

    // An Origin alone is not a preflight.
    t.is((await request(server).options(url).set('Origin', 'https://app.example')).status, 401);
    const preflight = await request(server)
      .options(url)
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'PUT');
    t.is(preflight.status, 204);
  }
});

test('a strategy that refuses cannot leave a user behind for the next one', async (t) => {
  class HalfLogin extends AuthenticationBase {
    authorized(ctx: RequestContext): boolean {
      ctx.state.user = { id: 'mallory', roles: ['admin'] };
      return false;
    }
  }
  const Post = freshModel();
  await Post.create({ title: 'p' });
  const View = postView(Post, {
    auth: [HalfLogin, AnonymousAuthentication],
    permissions: { List: allow, Create: role('admin') },
  });
  const { server } = serve(View);
  const listed = await request(server).get('/api/posts/');
  t.is(listed.status, 200);
  t.is(listed.body.data[0].viewer, null);
  const created = await request(server).post('/api/posts/').send({ title: 'as admin?' });
  t.deepEqual([created.status, created.body], [401, unauthorized]);
  t.is(await Post.countDocuments(), 1);
});

test('method checks come before authentication: 405 and the PUT hint need no credentials', async (t) => {
  const { server } = serve(postView(freshModel(), { auth: [Refuse], methods: [methods.List, methods.Create] }));
  const patch = await request(server).patch('/api/posts/');
  t.deepEqual([patch.status, patch.body], [405, { error: 'Method not allowed' }]);
  const hint = await request(server).post('/api/posts/abc/').send({});
  t.deepEqual([hint.status, hint.body], [404, { error: 'Did you mean to use PUT?' }]);
  t.is((await request(server).get('/api/posts/')).status, 401);
});

test('authenticationMethods entries that are not strategies throw at registration', (t) => {
  const Post = freshModel();
  const bad = [{}, null, 'ApiKey', ApiKeyAuthentication] as unknown as AuthenticationSpec[];
  for (const entry of bad) {
    t.throws(() => serve(postView(Post, { auth: [entry] })), { instanceOf: TypeError }, String(entry));
  }
});

// ---- ApiKeyAuthentication -------------------------------------------------------------------------

test('ApiKeyAuthentication: X-API-Key to verify(key, ctx); ctx.state.user is what verify returns', async (t) => {
  const seen: Array<[string, string]> = [];
  const apiKey = new ApiKeyAuthentication({
    verify: async (key, ctx) => {
      seen.push([key, ctx.path]);
      return key === 'k-alice' ? { id: 'alice', roles: ['reader'] } : null;
    },
  });
  const Post = freshModel();
  await Post.create({ title: 'p' });
  const { server } = serve(postView(Post, { auth: [apiKey] }));

  const missing = await request(server).get('/api/posts/');
  t.deepEqual([missing.status, missing.body], [401, unauthorized]);
  t.is(missing.headers['www-authenticate'], undefined);
  t.is((await request(server).get('/api/posts/').set('X-API-Key', '')).status, 401);
  t.deepEqual(seen, [], 'verify is not called without a key');

  const wrong = await request(server).get('/api/posts/').set('X-API-Key', 'k-bob');
  t.deepEqual([wrong.status, wrong.body], [401, unauthorized]);
  const right = await request(server).get('/api/posts/').set('x-api-key', 'k-alice');
  t.is(right.status, 200);
  t.deepEqual(right.body.data[0].viewer, { id: 'alice', roles: ['reader'] });
  t.deepEqual(seen, [['k-bob', '/api/posts/'], ['k-alice', '/api/posts/']]);
  t.is(apiKey.header, 'X-API-Key');
});

test('ApiKeyAuthentication: every falsy answer of verify refuses; a throwing verify answers 500', async (t) => {
  const answers: Record<string, unknown> = { null: null, undefined: undefined, false: false, empty: '', zero: 0 };
  const apiKey = new ApiKeyAuthentication({
    verify: (key) => {
      if (key === 'boom') throw new Error('database of keys unreachable');
      return Object.hasOwn(answers, key) ? answers[key] : { id: key };
    },
  });
  const { server } = serve(postView(freshModel(), { auth: [apiKey] }));
  for (const key of Object.keys(answers)) {
    const response = await request(server).get('/api/posts/').set('X-API-Key', key);
    t.deepEqual([response.status, response.body], [401, unauthorized], key);
  }
  t.is((await request(server).get('/api/posts/').set('X-API-Key', 'someone')).status, 200);
  const boom = await request(server).get('/api/posts/').set('X-API-Key', 'boom');
  t.deepEqual([boom.status, boom.body], [500, internal]);
});

test('ApiKeyAuthentication: custom header and scheme', async (t) => {
  const apiKey = new ApiKeyAuthentication({ keys: ['k1'], header: 'X-Token', scheme: 'ApiKey' });
  const { server } = serve(postView(freshModel(), { auth: [apiKey] }));
  const wrongHeader = await request(server).get('/api/posts/').set('X-API-Key', 'k1');
  t.deepEqual([wrongHeader.status, wrongHeader.body], [401, unauthorized]);
  t.is(wrongHeader.headers['www-authenticate'], 'ApiKey');
  t.is((await request(server).get('/api/posts/').set('X-Token', 'k1')).status, 200);
});

test('ApiKeyAuthentication: static keys — a list gives { keyIndex }, an object gives its user; wrong keys of any length are 401', async (t) => {
  const Post = freshModel();
  await Post.create({ title: 'p' });
  const listed = serve(postView(Post, { auth: [new ApiKeyAuthentication({ keys: ['alpha', 'beta-is-longer'] })] }));
  const viewerWith = async (server: ReturnType<typeof serve>['server'], key: string) => {
    const response = await request(server).get('/api/posts/').set('X-API-Key', key);
    return response.status === 200 ? response.body.data[0].viewer : response.status;
  };
  t.deepEqual(await viewerWith(listed.server, 'beta-is-longer'), { keyIndex: 1 });
  t.deepEqual(await viewerWith(listed.server, 'alpha'), { keyIndex: 0 });
  for (const wrong of ['ALPHA', 'alph', 'alphaa', 'b', 'x'.repeat(5000), 'beta-is-longer,alpha']) {
    t.is(await viewerWith(listed.server, wrong), 401, wrong.slice(0, 20));
  }
  t.deepEqual(listed.errors, []);

  const ci = { name: 'ci', roles: ['admin'] };
  const mixed = new ApiKeyAuthentication({
    keys: { 'ci-key': ci },
    verify: (key) => (key === 'db-key' ? { name: 'from-db' } : null),
  });
  const { server } = serve(postView(Post, { auth: [mixed] }));
  t.deepEqual(await viewerWith(server, 'ci-key'), ci);
  t.deepEqual(await viewerWith(server, 'db-key'), { name: 'from-db' });
  t.is(await viewerWith(server, 'other'), 401);
});

test('ApiKeyAuthentication and BearerAuthentication reject bad configuration when constructed', (t) => {
  type Options = ConstructorParameters<typeof ApiKeyAuthentication>[0];
  const bad: unknown[] = [
    undefined,
    {},
    { verify: 'not a function' },
    { keys: [] },
    { keys: [''] },
    { keys: ['same', 'same'] },
    { keys: { k: null } },
    { keys: 'k1' },
    { keys: ['k'], header: 'X Bad Header' },
    { keys: ['k'], header: '' },
    { keys: ['k'], scheme: 'ApiKey\r\nSet-Cookie: x=1' },
  ];
  for (const options of bad) {
    t.throws(() => new ApiKeyAuthentication(options as Options), { instanceOf: TypeError }, JSON.stringify(options));
  }
  type BearerOptions = ConstructorParameters<typeof BearerAuthentication>[0];
  for (const options of [undefined, {}, { tokens: [] }, { tokens: ['t'], realm: 'a\nb' }]) {
    t.throws(() => new BearerAuthentication(options as BearerOptions), { instanceOf: TypeError }, JSON.stringify(options));
  }
});

// ---- BearerAuthentication -------------------------------------------------------------------------

test('BearerAuthentication: Authorization: Bearer <token> to verify; challenge WWW-Authenticate: Bearer', async (t) => {
  const seen: string[] = [];
  const bearer = new BearerAuthentication({
    verify: async (token) => {
      seen.push(token);
      return token === 'eyJ.good.sig' ? { id: 'u1', roles: [] } : undefined;
    },
  });
  const Post = freshModel();
  await Post.create({ title: 'p' });
  const { server } = serve(postView(Post, { auth: [bearer] }));
  const get = (authorization?: string) => {
    const req = request(server).get('/api/posts/');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  for (const authorization of [undefined, '', 'Bearer', 'Bearer ', 'Basic dTpw', 'Token eyJ.good.sig', 'Bearer eyJ.good.sig extra', 'Bearereyj.good.sig']) {
    const response = await get(authorization);
    t.deepEqual([response.status, response.body], [401, unauthorized], String(authorization));
    t.is(response.headers['www-authenticate'], 'Bearer');
  }
  t.deepEqual(seen, [], 'verify is only called with a well-formed bearer credential');

  t.is((await get('Bearer wrong')).status, 401);
  const ok = await get('Bearer eyJ.good.sig');
  t.is(ok.status, 200);
  t.deepEqual(ok.body.data[0].viewer, { id: 'u1', roles: [] });
  t.is((await get('bearer   eyJ.good.sig')).status, 200, 'the scheme is case-insensitive');
  t.deepEqual(seen, ['wrong', 'eyJ.good.sig', 'eyJ.good.sig']);
});

test('BearerAuthentication: realm in the challenge (quoted), static tokens, throwing verify → 500', async (t) => {
  const quoted = serve(postView(freshModel(), { auth: [new BearerAuthentication({ tokens: ['t'], realm: 'my "api"' })] }));
  t.is((await request(quoted.server).get('/api/posts/')).headers['www-authenticate'], 'Bearer realm="my \\"api\\""');

  const Post = freshModel();
  await Post.create({ title: 'p' });
  const service = { id: 'svc', roles: ['admin'] };
  const { server } = serve(postView(Post, { auth: [new BearerAuthentication({ tokens: { 'svc-token': service }, realm: 'api' })] }));
  const ok = await request(server).get('/api/posts/').set('Authorization', 'Bearer svc-token');
  t.deepEqual(ok.body.data[0].viewer, service);
  const wrong = await request(server).get('/api/posts/').set('Authorization', 'Bearer svc-tokem');
  t.deepEqual([wrong.status, wrong.headers['www-authenticate']], [401, 'Bearer realm="api"']);

  const throwing = serve(postView(Post, { auth: [new BearerAuthentication({ verify: () => Promise.reject(new Error('jwks fetch failed')) })] }));
  const boom = await request(throwing.server).get('/api/posts/').set('Authorization', 'Bearer x');
  t.deepEqual([boom.status, boom.body], [500, internal]);
});

// ---- permissions table (roles) ---------------------------------------------------------------------

const staff = {
  'admin-token': { id: 'ada', roles: ['admin'] },
  'editor-token': { id: 'eddie', roles: ['editor'] },
  'reader-token': { id: 'rita', roles: [] },
  'string-roles-token': { id: 'sam', roles: 'admin' },
};

function rolesApp(Post: AnyModel, permissions: MethodPermissions, options: { anonymous?: boolean } = {}) {
  const bearer = new BearerAuthentication({ tokens: staff });
  return serve(postView(Post, { auth: options.anonymous === false ? [bearer] : [bearer, AnonymousAuthentication], permissions }));
}

test('permissions: listed rules decide; unlisted methods are refused to everyone (deny by default)', async (t) => {
  const Post = freshModel();
  const post = await Post.create({ title: 'p' });
  const item = `/api/posts/${String(post._id)}/`;
  const { server } = rolesApp(Post, { List: allow, Fetch: authenticated, Create: role('editor', 'admin'), Update: role('admin') });
  const as = (token?: string) => (req: request.Test) => (token ? req.set('Authorization', `Bearer ${token}`) : req);
  const anonymous = as();
  const reader = as('reader-token');
  const editor = as('editor-token');
  const admin = as('admin-token');

  // List: allow — anyone, anonymous included.
  t.is((await anonymous(request(server).get('/api/posts/'))).status, 200);
  // Fetch: authenticated — no user → 401 with the challenge; any user → 200.
  const anonymousFetch = await anonymous(request(server).get(item));
  t.deepEqual([anonymousFetch.status, anonymousFetch.body, anonymousFetch.headers['www-authenticate']], [401, unauthorized, 'Bearer']);
  t.is((await reader(request(server).get(item))).status, 200);
  // Create: role('editor', 'admin').
  t.deepEqual((await reader(request(server).post('/api/posts/').send({ title: 'r' }))).body, forbidden);
  t.is((await reader(request(server).post('/api/posts/').send({ title: 'r' }))).status, 403);
  t.is((await editor(request(server).post('/api/posts/').send({ title: 'e' }))).status, 201);
  t.is((await admin(request(server).post('/api/posts/').send({ title: 'a' }))).status, 201);
  // Update: role('admin').
  t.is((await editor(request(server).put(item).send({ title: 'by editor' }))).status, 403);
  t.is((await admin(request(server).put(item).send({ title: 'by admin' }))).status, 200);
  // Delete and BulkUpdate are enabled on the view but not listed: nobody, not even an admin.
  for (const response of [
    await admin(request(server).delete(item)),
    await admin(request(server).put('/api/posts/?title=by%20admin').send({ title: 'bulk' })),
    await anonymous(request(server).delete(item)),
  ]) {
    t.deepEqual([response.status, response.body], [403, forbidden]);
  }
  t.deepEqual(await titles(Post), ['a', 'by admin', 'e']);
});

test('permissions: a refused method is answered before the body is read; HEAD follows the GET rule; OPTIONS only needs authentication', async (t) => {
  const calls: string[] = [];
  const Post = freshModel();
  const post = await Post.create({ title: 'p' });
  const item = `/api/posts/${String(post._id)}/`;
  const View = postView(Post, {
    auth: [new BearerAuthentication({ tokens: staff }), AnonymousAuthentication],
    permissions: { List: authenticated, Fetch: allow, Create: role('admin') },
    spy: (what) => calls.push(what),
  });
  const { server } = serve(View, { bodyLimit: 64 });
  const editorPost = await request(server).post('/api/posts/').set('Authorization', 'Bearer editor-token').set('Content-Type', 'application/json').send('{bad');
  t.deepEqual([editorPost.status, editorPost.body], [403, forbidden]);
  const anonymousPost = await request(server).post('/api/posts/').set('Content-Type', 'application/json').send(JSON.stringify({ title: 'x'.repeat(500) }));
  t.deepEqual([anonymousPost.status, anonymousPost.body], [401, unauthorized]);
  const bulk = await request(server).put('/api/posts/?no_such_filter=1').set('Authorization', 'Bearer admin-token').send({ title: 'bulk' });
  t.deepEqual([bulk.status, bulk.body], [403, forbidden], 'BulkUpdate is not listed');
  t.deepEqual(calls, []);

  t.is((await request(server).head('/api/posts/')).status, 401);
  t.is((await request(server).head('/api/posts/').set('Authorization', 'Bearer reader-token')).status, 200);
  t.is((await request(server).head(item)).status, 200);
  t.is((await request(server).options(item)).status, 204);
});

test('permissions: roles must be an array of strings on ctx.state.user; a user without them is 403, no user 401', async (t) => {
  t.deepEqual(rolesOf({ roles: ['a', 1, 'b'] }), ['a', 'b']);
  t.deepEqual(rolesOf({ roles: 'admin' }), []);
  t.deepEqual(rolesOf(null), []);
  const { server } = rolesApp(freshModel(), { List: role('admin') }, { anonymous: false });
  t.is((await request(server).get('/api/posts/').set('Authorization', 'Bearer admin-token')).status, 200);
  const stringRoles = await request(server).get('/api/posts/').set('Authorization', 'Bearer string-roles-token');
  t.deepEqual([stringRoles.status, stringRoles.body], [403, forbidden]);
  const noToken = await request(server).get('/api/posts/');
  t.deepEqual([noToken.status, noToken.body, noToken.headers['www-authenticate']], [401, unauthorized, 'Bearer']);
});

test('permissions: custom and async rules; deny; a throwing rule answers 500', async (t) => {
  const Post = freshModel();
  await Post.create({ title: 'p' });
  const weekdayOnly = async (ctx: RequestContext) => ctx.get('X-Day') !== 'sunday';
  const { server, errors } = rolesApp(Post, {
    List: weekdayOnly,
    Fetch: deny,
    Create: () => {
      throw new Error('rule bug');
    },
  });
  t.is((await request(server).get('/api/posts/').set('X-Day', 'monday')).status, 200);
  t.is((await request(server).get('/api/posts/').set('X-Day', 'sunday')).status, 401, 'refused with no user: 401');
  t.is((await request(server).get('/api/posts/').set('X-Day', 'sunday').set('Authorization', 'Bearer admin-token')).status, 403);
  const created = await request(server).post('/api/posts/').set('Authorization', 'Bearer admin-token').send({ title: 'x' });
  t.deepEqual([created.status, created.body], [500, internal]);
  t.is(errors.length, 1);
  t.is(await Post.countDocuments(), 1);
});

test('permissions: mistakes in the table throw at registration', (t) => {
  const Post = freshModel();
  const bad = [{ Craete: allow }, { List: 'allow' }, { List: undefined }, [allow], null] as unknown as MethodPermissions[];
  for (const permissions of bad) {
    t.throws(() => serve(postView(Post, { permissions })), { instanceOf: TypeError }, JSON.stringify(permissions));
  }
  t.throws(() => role(...([] as unknown as [string])), { instanceOf: TypeError });
  t.throws(() => role(''), { instanceOf: TypeError });
});

test('permissions: method names the table does not know — e.g. markers added later (Patch, BulkDelete) — are denied', async (t) => {
  const ctx = { state: { user: { roles: ['admin'] } } } as unknown as RequestContext;
  const table: MethodPermissions = { List: allow, Fetch: role('admin') };
  await t.notThrowsAsync(checkMethodPermission(ctx, table, 'Fetch', []));
  for (const name of ['Patch', 'BulkDelete', 'constructor', '__proto__', 'toString']) {
    await t.throwsAsync(checkMethodPermission(ctx, table, name, []), { instanceOf: Forbidden }, name);
  }
  await t.notThrowsAsync(checkMethodPermission(ctx, undefined, 'Patch', []), 'no table: no check');
});

// ---- docs/auth.md: every example, as written there ---------------------------------------------------

/** The models the docs' examples use, on this file's connection (created once). */
function docsModels() {
  const connection = database().connection;
  if (!connection.models.ApiClient) {
    connection.model('ApiClient', new mongoose.Schema({ name: String, keyHash: String, roles: [String] }));
    connection.model('Session', new mongoose.Schema({ token: String, user: String, roles: [String], expires: Date }));
  }
  const ApiClient = connection.models.ApiClient!;
  const Session = connection.models.Session!;
  const Post = freshModel();
  class PostResource extends Resource {
    document = Post;
    fields = ['id', 'title', 'viewer'];
    viewer(_doc: PlainDocument, ctx: RequestContext): unknown {
      return ctx.state.user ?? null;
    }
  }
  return { ApiClient, Session, Post, PostResource };
}

function serveDocs(View: ResourceViewClass, app = new Koa()) {
  const api = new TestMongoRest({ onError: (error) => console.error(error) });
  api.register(View, { url: '/posts/' });
  app.use(api.routes()).use(api.allowedMethods());
  return app.callback();
}

test('docs/auth.md: API keys verified against hashes in the database', async (t) => {
  const { ApiClient, Post, PostResource } = docsModels();
  await Post.create({ title: 'p' });
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const reporting = await ApiClient.create({ name: 'reporting', keyHash: sha256('k-2024-reporting'), roles: ['reader'] });

  const apiKey = new ApiKeyAuthentication({
    // Store only hashes of the keys; look the hash up. Return the user, or null to refuse.
    verify: async (key) => {
      const client = await ApiClient.findOne({ keyHash: sha256(key) }).lean();
      return client && { id: String(client._id), name: client.name, roles: client.roles };
    },
  });

  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Fetch];
    override authenticationMethods = [apiKey];
  }

  const server = serveDocs(PostView);
  const ok = await request(server).get('/posts/').set('X-API-Key', 'k-2024-reporting');
  t.is(ok.status, 200);
  t.deepEqual(ok.body.data[0].viewer, { id: String(reporting._id), name: 'reporting', roles: ['reader'] });
  const wrong = await request(server).get('/posts/').set('X-API-Key', 'k-2024-reportinG');
  t.deepEqual([wrong.status, wrong.body], [401, unauthorized]);
});

test('docs/auth.md: static keys in a custom header', async (t) => {
  const { Post, PostResource } = docsModels();
  await Post.create({ title: 'p' });
  process.env.CI_API_KEY = 'ci-3f9a1c';

  const ci = new ApiKeyAuthentication({
    keys: { [process.env.CI_API_KEY!]: { id: 'ci', roles: ['admin'] } },
    header: 'X-CI-Key',
  });

  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List];
    override authenticationMethods = [ci];
  }
  const server = serveDocs(PostView);
  t.deepEqual((await request(server).get('/posts/').set('X-CI-Key', 'ci-3f9a1c')).body.data[0].viewer, { id: 'ci', roles: ['admin'] });
  t.is((await request(server).get('/posts/').set('X-API-Key', 'ci-3f9a1c')).status, 401);
  t.is((await request(server).get('/posts/').set('X-CI-Key', 'ci-3f9a1')).status, 401);
});

/** The docs' bearer strategy: opaque session tokens looked up in the database. */
function docsBearer(Session: AnyModel) {
  const bearer = new BearerAuthentication({
    realm: 'api',
    verify: async (token) => {
      const session = await Session.findOne({ token, expires: { $gt: new Date() } }).lean();
      return session ? { id: session.user, roles: session.roles } : null;
    },
  });
  return bearer;
}

let sessionCount = 0;
/** Sessions for a reader, an editor, an admin and an expired admin; returns name → token. */
async function docsSessions(Session: AnyModel) {
  const future = new Date(Date.now() + 3_600_000);
  const tag = String(++sessionCount);
  await Session.create([
    { token: `reader-${tag}`, user: 'rita', roles: [], expires: future },
    { token: `editor-${tag}`, user: 'eddie', roles: ['editor'], expires: future },
    { token: `admin-${tag}`, user: 'ada', roles: ['admin'], expires: future },
    { token: `expired-${tag}`, user: 'old', roles: ['admin'], expires: new Date(Date.now() - 1000) },
  ]);
  return (name: string) => `${name}-${tag}`;
}

test('docs/auth.md: bearer tokens with an app-supplied verifier', async (t) => {
  const { Session, Post, PostResource } = docsModels();
  await Post.create({ title: 'p' });
  const bearer = docsBearer(Session);
  const token = await docsSessions(Session);
  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Create];
    override authenticationMethods = [bearer];
  }
  const server = serveDocs(PostView);
  const ok = await request(server).get('/posts/').set('Authorization', 'Bearer ' + token('editor'));
  t.deepEqual(ok.body.data[0].viewer, { id: 'eddie', roles: ['editor'] });
  const expired = await request(server).get('/posts/').set('Authorization', 'Bearer ' + token('expired'));
  t.deepEqual([expired.status, expired.body, expired.headers['www-authenticate']], [401, unauthorized, 'Bearer realm="api"']);
});

test('docs/auth.md: your own strategy (session cookie)', async (t) => {
  const { Session, Post, PostResource } = docsModels();
  await Post.create({ title: 'p' });
  const sid = (await docsSessions(Session))('admin');

  class SessionCookie extends AuthenticationBase {
    async authorized(ctx: RequestContext) {
      const sid = ctx.cookies.get('sid');
      const session = sid ? await Session.findOne({ token: sid, expires: { $gt: new Date() } }).lean() : null;
      if (!session) return false;
      ctx.state.user = { id: session.user, roles: session.roles };
      return true;
    }
  }

  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List];
    override authenticationMethods = [SessionCookie];
  }
  const server = serveDocs(PostView);
  t.deepEqual((await request(server).get('/posts/').set('Cookie', `sid=${sid}`)).body.data[0].viewer, { id: 'ada', roles: ['admin'] });
  t.is((await request(server).get('/posts/').set('Cookie', 'sid=nope')).status, 401);
  t.is((await request(server).get('/posts/')).status, 401);
});

test('docs/auth.md: the permissions table, row by row', async (t) => {
  const { Session, Post, PostResource } = docsModels();
  const bearer = docsBearer(Session);
  const token = await docsSessions(Session);

  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
    override authenticationMethods = [bearer, AnonymousAuthentication]; // credentials optional
    override permissions = {
      List: allow,
      Fetch: allow,
      Create: authenticated,
      Update: role('editor', 'admin'),
      Delete: role('admin'),
      // BulkUpdate is not listed: refused to everyone.
    };
  }

  const server = serveDocs(PostView);
  const post = await Post.create({ title: 'x' });
  const item = `/posts/${String(post._id)}/`;
  t.is((await request(server).get('/posts/')).status, 200);
  t.is((await request(server).get(item)).status, 200);
  const anonymousPost = await request(server).post('/posts/').send({ title: 'anon' });
  t.deepEqual([anonymousPost.status, anonymousPost.body, anonymousPost.headers['www-authenticate']], [401, unauthorized, 'Bearer realm="api"']);
  t.is((await request(server).post('/posts/').set('Authorization', 'Bearer ' + token('reader')).send({ title: 'r' })).status, 201);
  const readerPut = await request(server).put(item).set('Authorization', 'Bearer ' + token('reader')).send({ title: 'r' });
  t.deepEqual([readerPut.status, readerPut.body], [403, forbidden]);
  t.is((await request(server).put(item).set('Authorization', 'Bearer ' + token('editor')).send({ title: 'e' })).status, 200);
  t.is((await request(server).delete(item).set('Authorization', 'Bearer ' + token('editor'))).status, 403);
  t.is((await request(server).put('/posts/?title=x').set('Authorization', 'Bearer ' + token('admin')).send({ title: 'bulk' })).status, 403);
  t.is((await request(server).delete(item).set('Authorization', 'Bearer ' + token('admin'))).status, 204);
  t.deepEqual(await titles(Post), ['r']);
});

test('docs/auth.md: ctx.state.user from your own middleware', async (t) => {
  const { Post, PostResource } = docsModels();
  const users: Record<string, { id: string; roles: string[] }> = { 'sess-ada': { id: 'ada', roles: ['admin'] }, 'sess-bo': { id: 'bo', roles: [] } };
  const userFromSession = async (ctx: RequestContext) => users[ctx.cookies.get('session') ?? ''];
  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Create];
    override permissions = { List: allow, Create: role('admin') };
  }
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.state.user = await userFromSession(ctx); // e.g. koa-session + your user store
    await next();
  });
  const server = serveDocs(PostView, app);
  const anonymous = await request(server).post('/posts/').send({ title: 'a' });
  t.deepEqual([anonymous.status, anonymous.body, anonymous.headers['www-authenticate']], [401, unauthorized, undefined]);
  t.is((await request(server).post('/posts/').set('Cookie', 'session=sess-bo').send({ title: 'b' })).status, 403);
  t.is((await request(server).post('/posts/').set('Cookie', 'session=sess-ada').send({ title: 'c' })).status, 201);
  t.is((await request(server).get('/posts/')).status, 200);
  t.deepEqual(await titles(Post), ['c']);
});
