/**
 * Scopes in the `permissions` table (issue 14 item 6): `scope(...)` (any of the names), read from
 * `user.scopes` or the `scope`/`scp` claims; `any(...)` and `all(...)`; a user refused for want of a
 * scope gets 403 `{"error":"Forbidden"}` with `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="…"`; without a user the usual 401.
 */
import test from 'ava';
import { SignJWT } from 'jose';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import {
  AuthenticationBase,
  JwtAuthentication,
  Resource,
  ResourceView,
  all,
  allow,
  any,
  authenticated,
  methods,
  role,
  scope,
  scopesOf,
  type AnyModel,
  type AuthenticationSpec,
  type MethodPermissions,
  type RequestContext,
} from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);
const SECRET = 'scopes-test-secret-of-at-least-32-bytes!!';

let Post: AnyModel;
test.before(async () => {
  Post = (await database.ready).connection.model('ScopedPost', new mongoose.Schema({ title: String }));
});

/** `X-User: <JSON>` sets ctx.state.user (for users with `scopes` and `roles` without tokens). */
class HeaderUser extends AuthenticationBase {
  authorized(ctx: RequestContext): boolean {
    const header = ctx.get('X-User');
    if (!header) return false;
    (ctx.state as Record<string, unknown>).user = JSON.parse(header) as unknown;
    return true;
  }
}

const jwt = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], realm: 'blog' });
const token = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));

function serve(permissions: MethodPermissions, auth: AuthenticationSpec[] = [HeaderUser]) {
  class PostResource extends Resource {
    document = Post;
    fields = ['id', 'title'];
  }
  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Create, methods.Delete];
    override authenticationMethods = auth;
    override permissions = permissions;
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(PostView, { url: '/posts/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return app.callback();
}

const forbidden = { error: 'Forbidden' };
const asUser = (user: unknown) => ({ 'X-User': JSON.stringify(user) });

test('scope(): a user holding the scope passes; without it 403 + insufficient_scope naming it; nothing written', async (t) => {
  const server = serve({ List: allow, Create: scope('posts:write') });
  const ok = await request(server).post('/api/posts/').set(asUser({ scopes: ['posts:read', 'posts:write'] })).send({ title: 'a' });
  t.is(ok.status, 201);
  const refused = await request(server).post('/api/posts/').set(asUser({ scopes: ['posts:read'] })).send({ title: 'b' });
  t.deepEqual([refused.status, refused.body], [403, forbidden]);
  t.is(refused.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="posts:write"');
  t.is(await Post.countDocuments({ title: 'b' }), 0);
});

test('without a user a scope rule answers the usual 401 challenge, not insufficient_scope', async (t) => {
  const server = serve({ List: allow, Create: scope('posts:write') }, [jwt, HeaderUser]);
  const response = await request(server).post('/api/posts/').send({ title: 'x' });
  t.deepEqual([response.status, response.body], [401, { error: 'Unauthorized' }]);
  t.is(response.headers['www-authenticate'], 'Bearer realm="blog"');
});

test('scopes come from the token: a space-separated `scope` claim, an `scp` string or array', async (t) => {
  const server = serve({ List: scope('posts:read'), Create: scope('posts:write') }, [jwt]);
  const cases: Array<[Record<string, unknown>, number]> = [
    [{ scope: 'posts:read posts:write' }, 201],
    [{ scope: 'posts:read  posts:write ' }, 201],
    [{ scp: 'posts:write' }, 201],
    [{ scp: ['posts:read', 'posts:write'] }, 201],
    [{ scope: ['posts:write'] }, 201],
    [{ scope: 'posts:read' }, 403],
    [{ scope: 'posts:writer' }, 403],
    [{ scope: 42 }, 403],
    [{}, 403],
  ];
  for (const [claims, status] of cases) {
    const response = await request(server).post('/api/posts/').set('Authorization', `Bearer ${await token(claims)}`).send({ title: 'from token' });
    t.is(response.status, status, JSON.stringify(claims));
    if (status === 403) t.is(response.headers['www-authenticate'], 'Bearer realm="blog", error="insufficient_scope", scope="posts:write"');
  }
  const list = await request(server).get('/api/posts/').set('Authorization', `Bearer ${await token({ scope: 'posts:read' })}`);
  t.is(list.status, 200);
});

test('scope("a", "b") passes with either; refused, the challenge lists both', async (t) => {
  const server = serve({ List: allow, Create: scope('posts:write', 'admin') });
  t.is((await request(server).post('/api/posts/').set(asUser({ scopes: ['admin'] })).send({ title: 'x' })).status, 201);
  t.is((await request(server).post('/api/posts/').set(asUser({ scopes: ['posts:write'] })).send({ title: 'x' })).status, 201);
  const refused = await request(server).post('/api/posts/').set(asUser({ scopes: ['posts:read'] })).send({ title: 'x' });
  t.deepEqual([refused.status, refused.headers['www-authenticate']], [403, 'Bearer error="insufficient_scope", scope="posts:write admin"']);
});

test('all(): every rule must pass; the challenge names every missing scope, and none when a role refused', async (t) => {
  const server = serve({ List: allow, Create: all(scope('posts:write'), scope('posts:publish')), Delete: all(role('editor'), scope('posts:delete')) });
  const create = async (user: unknown) => request(server).post('/api/posts/').set(asUser(user)).send({ title: 'x' });
  t.is((await create({ scopes: ['posts:write', 'posts:publish'] })).status, 201);
  const none = await create({ scopes: [] });
  t.deepEqual([none.status, none.headers['www-authenticate']], [403, 'Bearer error="insufficient_scope", scope="posts:write posts:publish"']);
  const half = await create({ scopes: ['posts:write'] });
  t.deepEqual([half.status, half.headers['www-authenticate']], [403, 'Bearer error="insufficient_scope", scope="posts:publish"']);

  const doc = await Post.create({ title: 'to delete' });
  const remove = async (user: unknown) => request(server).delete(`/api/posts/${String(doc._id)}/`).set(asUser(user));
  const notEditor = await remove({ roles: [], scopes: [] });
  t.deepEqual([notEditor.status, notEditor.body, notEditor.headers['www-authenticate']], [403, forbidden, undefined]);
  const editorWithoutScope = await remove({ roles: ['editor'], scopes: [] });
  t.deepEqual([editorWithoutScope.status, editorWithoutScope.headers['www-authenticate']], [403, 'Bearer error="insufficient_scope", scope="posts:delete"']);
  t.is((await remove({ roles: ['editor'], scopes: ['posts:delete'] })).status, 204);
});

test('any(): one passing rule is enough; composes with role() and authenticated', async (t) => {
  const server = serve({ List: any(authenticated, scope('never')), Create: any(role('admin'), scope('posts:write')) });
  t.is((await request(server).get('/api/posts/').set(asUser({ id: 'u' }))).status, 200);
  t.is((await request(server).post('/api/posts/').set(asUser({ roles: ['admin'] })).send({ title: 'x' })).status, 201);
  t.is((await request(server).post('/api/posts/').set(asUser({ scopes: ['posts:write'] })).send({ title: 'x' })).status, 201);
  const neither = await request(server).post('/api/posts/').set(asUser({ roles: ['user'], scopes: [] })).send({ title: 'x' });
  t.deepEqual([neither.status, neither.headers['www-authenticate']], [403, 'Bearer error="insufficient_scope", scope="posts:write"']);
});

test('rules are fail closed and stop early: any() at the first true, all() at the first refusal', async (t) => {
  const asked: string[] = [];
  const spy = (label: string, answer: unknown) => (() => {
    asked.push(label);
    return answer as boolean;
  });
  const server = serve({ List: any(spy('a', 1), spy('b', true), spy('c', true)), Create: all(spy('d', true), spy('e', 'yes'), spy('f', true)) });
  t.is((await request(server).get('/api/posts/').set(asUser({}))).status, 200);
  t.deepEqual(asked.splice(0), ['a', 'b']);
  t.is((await request(server).post('/api/posts/').set(asUser({})).send({ title: 'x' })).status, 403);
  t.deepEqual(asked.splice(0), ['d', 'e']);
});

test('a throwing rule inside any()/all() answers 500', async (t) => {
  const boom = () => {
    throw new Error('rule bug');
  };
  const errors: unknown[] = [];
  class PostView extends ResourceView {
    resource = class extends Resource {
      document = Post;
    };
    methods = [methods.List];
    override authenticationMethods = [HeaderUser];
    override permissions = { List: any(scope('x'), boom) };
  }
  const api = new TestMongoRest({ onError: (error) => errors.push(error) });
  api.register(PostView, { url: '/boom/' });
  const app = new Koa().use(api.routes());
  const response = await request(app.callback()).get('/boom/').set(asUser({}));
  t.deepEqual([response.status, response.body], [500, { error: 'Internal Server Error' }]);
  t.is(errors.length, 1);
});

test('scope(), any() and all() refuse bad arguments at once', (t) => {
  for (const bad of [[], [''], ['two words'], ['quo"te'], ['back\\slash'], [42]]) {
    t.throws(() => scope(...(bad as [string])), { instanceOf: TypeError, message: /scope\(\) needs one or more scope names/ }, JSON.stringify(bad));
  }
  t.throws(() => any(...([] as unknown as [typeof allow])), { instanceOf: TypeError, message: /any\(\) needs one or more rules/ });
  t.throws(() => all(allow, 'admin' as unknown as typeof allow), { instanceOf: TypeError, message: /all\(\) needs one or more rules/ });
});

test('scopesOf() joins scopes, scope and scp, ignoring what is not a string', (t) => {
  t.deepEqual(scopesOf({ scopes: ['a', 1, ''], scope: 'b  c', scp: ['d', null] }), ['a', 'b', 'c', 'd']);
  t.deepEqual(scopesOf({ scp: 'x y' }), ['x', 'y']);
  t.deepEqual(scopesOf(undefined), []);
  t.deepEqual(scopesOf('admin'), []);
});
