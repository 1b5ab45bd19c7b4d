/**
 * Permission-aware OPTIONS (issue 14, item 7): `Allow` lists only the methods and actions the caller may
 * use by the view's `permissions` table (object-level hooks aside), after the same authentication as GET;
 * CORS preflights (Origin + Access-Control-Request-Method) carry no credentials and list every enabled
 * verb. 405 answers keep listing what the URL answers, whoever asks.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  BearerAuthentication,
  Resource,
  ResourceView,
  action,
  allow,
  authenticated,
  methods,
  role,
  type MongoRestState,
  type RequestContext,
} from '../lib/index.js';
import { assertJson, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const ACCEPT_PATCH = 'application/merge-patch+json, application/json-patch+json';

function build(connection: Connection) {
  const Note = connection.model('Note', new mongoose.Schema({ text: String }));
  class NoteResource extends Resource {
    document = Note;
  }
  const tokens = new BearerAuthentication({
    tokens: {
      'user-token': { id: 'user' },
      'editor-token': { id: 'editor', roles: ['editor'] },
      'admin-token': { id: 'admin', roles: ['admin'] },
    },
  });
  const publish = action({ name: 'publish', target: 'item', handler: () => undefined });
  const stats = action({ name: 'stats', target: 'collection', verb: 'GET', handler: () => ({ count: 0 }) });
  const purge = action({ name: 'purge', target: 'collection', verb: 'DELETE', handler: () => undefined });
  const everything = [methods.List, methods.Create, methods.BulkUpdate, methods.Fetch, methods.Update, methods.Patch, methods.Delete];

  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = everything;
    override actions = [publish, stats, purge];
    authenticationMethods = [tokens, AnonymousAuthentication];
    permissions = {
      List: allow,
      // Rules may read what is asked about, as when the method itself is called.
      Fetch: (ctx: RequestContext) => (ctx.state.mongorest as MongoRestState | undefined)?.method === 'Fetch',
      Create: authenticated,
      Update: role('editor'),
      Patch: role('editor'),
      Delete: role('admin'),
      publish: authenticated,
      stats: allow,
    }; // BulkUpdate and purge unlisted: refused to everyone
  }

  /** Create and BulkCreate share POST: the verb is listed when either is allowed. */
  class BulkOnlyView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Create, methods.BulkCreate];
    authenticationMethods = [tokens, AnonymousAuthentication];
    permissions = { List: allow, BulkCreate: role('admin') };
  }

  /** Credentials required: a bad token is 401 on OPTIONS too. */
  class TokenOnlyView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Create];
    authenticationMethods = [tokens];
    permissions = { List: allow, Create: role('admin') };
  }

  /** No table: every enabled verb, as before. */
  class OpenView extends ResourceView {
    resource = NoteResource;
    methods = [methods.Fetch, methods.Patch];
    override actions = [publish];
  }

  class BrokenRuleView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List];
    permissions = {
      List: () => {
        throw new Error('rule bug');
      },
    };
  }

  const api = new TestMongoRest({ prefix: '/api', onError: () => undefined });
  api.register(NoteView, { url: '/notes/', name: 'notes' });
  api.register(BulkOnlyView, { url: '/bulk/', name: 'bulk' });
  api.register(TokenOnlyView, { url: '/token/', name: 'token' });
  api.register(OpenView, { url: '/open/', name: 'open' });
  api.register(BrokenRuleView, { url: '/broken/', name: 'broken' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app };
}

const env = useApp(test, import.meta.url, build);
const pk = new mongoose.Types.ObjectId().toHexString();

async function options(path: string, token?: string, headers: Record<string, string> = {}) {
  let call = request(env().server).options(path);
  if (token) call = call.set('Authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return call;
}

const cases: [string, string | undefined, string, string, string | undefined][] = [
  // [who, token, collection Allow, item Allow, Accept-Patch on the item]
  ['anonymous', undefined, 'GET, HEAD, OPTIONS', 'GET, HEAD, OPTIONS', undefined],
  ['a user', 'user-token', 'GET, POST, HEAD, OPTIONS', 'GET, HEAD, OPTIONS', undefined],
  ['an editor', 'editor-token', 'GET, POST, HEAD, OPTIONS', 'GET, PUT, PATCH, HEAD, OPTIONS', ACCEPT_PATCH],
  ['an admin', 'admin-token', 'GET, POST, HEAD, OPTIONS', 'GET, DELETE, HEAD, OPTIONS', undefined],
  ['a wrong token (anonymous fallback)', 'nope', 'GET, HEAD, OPTIONS', 'GET, HEAD, OPTIONS', undefined],
];

for (const [who, token, collection, item, acceptPatch] of cases) {
  test(`OPTIONS lists what ${who} may use by the permissions table`, async (t) => {
    const onCollection = await options('/api/notes/', token);
    t.is(onCollection.status, 204);
    t.is(onCollection.headers.allow, collection);
    const onItem = await options(`/api/notes/${pk}/`, token);
    t.is(onItem.status, 204);
    t.is(onItem.headers.allow, item);
    t.is(onItem.headers['accept-patch'], acceptPatch);
  });
}

test('OPTIONS on action URLs lists the action verb only for callers its rule allows; unlisted actions never', async (t) => {
  t.is((await options(`/api/notes/${pk}/publish/`)).headers.allow, 'OPTIONS');
  const user = await options(`/api/notes/${pk}/publish/`, 'user-token');
  t.is(user.status, 204);
  t.is(user.headers.allow, 'POST, OPTIONS');
  t.is(user.headers['cache-control'], 'private, no-cache');
  t.is((await options('/api/notes/stats/')).headers.allow, 'GET, HEAD, OPTIONS');
  t.is((await options('/api/notes/purge/', 'admin-token')).headers.allow, 'OPTIONS');
  t.is((await options(`/api/open/${pk}/publish/`)).headers.allow, 'POST, OPTIONS');
});

test('Create and BulkCreate share POST: it is listed when either is allowed', async (t) => {
  t.is((await options('/api/bulk/')).headers.allow, 'GET, HEAD, OPTIONS');
  t.is((await options('/api/bulk/', 'admin-token')).headers.allow, 'GET, POST, HEAD, OPTIONS');
});

test('a CORS preflight is not authenticated and lists every enabled verb, whatever the table says', async (t) => {
  const preflight = { Origin: 'https://app.example', 'Access-Control-Request-Method': 'DELETE' };
  const collection = await options('/api/notes/', undefined, preflight);
  t.is(collection.status, 204);
  t.is(collection.headers.allow, 'GET, POST, PUT, HEAD, OPTIONS');
  const item = await options(`/api/notes/${pk}/`, 'nope', preflight);
  t.is(item.headers.allow, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  t.is(item.headers['accept-patch'], ACCEPT_PATCH);
  t.is((await options('/api/notes/purge/', undefined, preflight)).headers.allow, 'DELETE, OPTIONS');
  const tokenOnly = await options('/api/token/', 'nope', preflight);
  t.is(tokenOnly.status, 204);
  t.is(tokenOnly.headers.allow, 'GET, POST, HEAD, OPTIONS');
});

test('OPTIONS is authenticated like GET: wrong credentials without an anonymous fallback → 401', async (t) => {
  const refused = await options('/api/token/', 'nope');
  assertJson(t, refused, 401, { error: 'Unauthorized' });
  t.is(refused.headers['www-authenticate'], 'Bearer');
  t.is((await options('/api/token/', 'user-token')).headers.allow, 'GET, HEAD, OPTIONS');
  t.is((await options('/api/token/', 'admin-token')).headers.allow, 'GET, POST, HEAD, OPTIONS');
});

test('a view without a permissions table lists every enabled verb', async (t) => {
  const res = await options(`/api/open/${pk}/`);
  t.is(res.headers.allow, 'GET, PATCH, HEAD, OPTIONS');
  t.is(res.headers['accept-patch'], ACCEPT_PATCH);
  t.is(res.headers['cache-control'], undefined);
});

test('a rule that fails (throws) fails OPTIONS too: 500, as it would the method', async (t) => {
  assertJson(t, await options('/api/broken/'), 500, { error: 'Internal Server Error' });
});

test('405 answers still list every verb the URL answers, whoever asks', async (t) => {
  const res = await request(env().server).patch('/api/notes/');
  assertJson(t, res, 405, { error: 'Method not allowed' });
  t.is(res.headers.allow, 'GET, POST, PUT, HEAD, OPTIONS');
});
