/**
 * JwtAuthentication (issue 14 item 5): tokens signed here with keys made here (no network; the key set
 * of `jwksUri` is served by a local HTTP server, with a rotation). Every refused token answers 401
 * `{"error":"Unauthorized"}` with `WWW-Authenticate: Bearer error="invalid_token", error_description=…`;
 * a missing token the plain `Bearer` challenge; a key set that cannot be fetched 503.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, webcrypto } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT, exportJWK, type JWK, type JWTPayload } from 'jose';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import {
  AnonymousAuthentication,
  JwtAuthentication,
  Resource,
  ResourceView,
  allow,
  authenticated,
  methods,
  type AnyModel,
  type AuthenticationSpec,
  type JwtOptions,
  type MethodPermissions,
  type PlainDocument,
  type RequestContext,
} from '../lib/index.js';
import { useTestDatabase } from './fixtures/database.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);

const SECRET = 'a-test-secret-of-at-least-32-bytes-for-hs256!';
const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'notes-api';
const now = () => Math.floor(Date.now() / 1000);

let Note: AnyModel;
test.before(async () => {
  Note = (await database.ready).connection.model('JwtNote', new mongoose.Schema({ title: String }));
  await Note.create({ title: 'hello' });
});

/** A view of notes at /api/notes/ whose computed `viewer` shows `ctx.state.user`. */
function serve(auth: AuthenticationSpec[], permissions?: MethodPermissions) {
  const errors: unknown[] = [];
  class NoteResource extends Resource {
    document = Note;
    fields = ['title', 'viewer'];
    viewer(_doc: PlainDocument, ctx: RequestContext): unknown {
      return ctx.state.user ?? null;
    }
  }
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.List, methods.Create];
    override authenticationMethods = auth;
    override permissions = permissions;
  }
  const api = new TestMongoRest({ prefix: '/api', onError: (error) => errors.push(error) });
  api.register(NoteView, { url: '/notes/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { server: app.callback(), errors };
}

const hs256 = (options: Partial<JwtOptions> = {}) =>
  new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, ...options });

/** A token with the usual claims (sub, iss, aud, exp in an hour), `claims` overriding them (undefined removes). */
async function sign(claims: Record<string, unknown> = {}, key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(SECRET), header: Record<string, unknown> = { alg: 'HS256' }): Promise<string> {
  const payload: Record<string, unknown> = { sub: 'u1', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, iat: now(), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload as JWTPayload).setProtectedHeader(header as { alg: string }).sign(key);
}

/** A token signed with SECRET whatever its header and payload text (jose's SignJWT would refuse some). */
function hmacToken(header: Record<string, unknown>, payload: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const unauthorized = { error: 'Unauthorized' };
const invalid = (description: string) => `Bearer error="invalid_token", error_description="${description}"`;

// ---- accepted tokens ------------------------------------------------------------------------------

test('a valid HS256 token: 200, ctx.state.user is the claims; private, no-cache', async (t) => {
  const { server } = serve([hs256()]);
  const token = await sign({ name: 'Ada' });
  const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${token}`);
  t.is(response.status, 200, JSON.stringify(response.body));
  const viewer = response.body.data[0].viewer as Record<string, unknown>;
  t.like(viewer, { sub: 'u1', name: 'Ada', iss: ISSUER, aud: AUDIENCE });
  t.is(response.headers['cache-control'], 'private, no-cache');
  // The scheme name is case-insensitive (RFC 7235).
  t.is((await request(server).get('/api/notes/').set('Authorization', `bearer ${token}`)).status, 200);
});

test('user(claims, ctx) maps the claims to ctx.state.user; async; a falsy answer refuses the token', async (t) => {
  const jwt = hs256({ user: async (claims, ctx) => (claims.sub === 'banned' ? null : { id: claims.sub, via: ctx.method }) });
  const { server } = serve([jwt]);
  const ok = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign()}`);
  t.deepEqual(ok.body.data[0].viewer, { id: 'u1', via: 'GET' });
  const banned = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign({ sub: 'banned' })}`);
  t.deepEqual([banned.status, banned.body], [401, unauthorized]);
  t.is(banned.headers['www-authenticate'], invalid('The token was refused.'));
});

test('a throwing user() answers 500, never access', async (t) => {
  const { server, errors } = serve([hs256({ user: () => { throw new Error('boom'); } })]);
  const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign()}`);
  t.deepEqual([response.status, response.body], [500, { error: 'Internal Server Error' }]);
  t.is(errors.length, 1);
});

test('clockToleranceSec accepts a token expired (or not yet valid) within the tolerance, not beyond', async (t) => {
  const { server } = serve([hs256({ clockToleranceSec: 60 })]);
  const get = async (claims: Record<string, unknown>) => (await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign(claims)}`)).status;
  t.is(await get({ exp: now() - 30 }), 200);
  t.is(await get({ nbf: now() + 30 }), 200);
  t.is(await get({ exp: now() - 120 }), 401);
  t.is(await get({ nbf: now() + 120 }), 401);
});

test('issuer and audience may be lists: any one of them is accepted', async (t) => {
  const { server } = serve([hs256({ issuer: ['https://a.test/', ISSUER], audience: ['other', AUDIENCE] })]);
  t.is((await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign({ aud: [AUDIENCE, 'x'] })}`)).status, 200);
  t.is((await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign({ iss: 'https://a.test/' })}`)).status, 200);
});

// ---- refused tokens: one table ----------------------------------------------------------------------

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

interface RefusedCase {
  name: string;
  token: () => Promise<string> | string;
  description: string;
}

const refusedCases: RefusedCase[] = [
  { name: 'expired', token: () => sign({ exp: now() - 10 }), description: 'The token has expired.' },
  { name: 'not yet valid (nbf)', token: () => sign({ nbf: now() + 600 }), description: 'The token is not valid yet.' },
  { name: 'wrong issuer', token: () => sign({ iss: 'https://evil.test/' }), description: 'The token was issued by an issuer that is not accepted.' },
  { name: 'no issuer', token: () => sign({ iss: undefined }), description: 'The token was issued by an issuer that is not accepted.' },
  { name: 'wrong audience', token: () => sign({ aud: 'another-api' }), description: 'The token is not meant for this audience.' },
  { name: 'no expiry', token: () => sign({ exp: undefined }), description: 'The token has no expiry (exp).' },
  { name: 'exp not a number', token: () => sign({ exp: 'tomorrow' }), description: 'The claims of the token are not acceptable.' },
  { name: 'another HMAC algorithm (HS512)', token: () => sign({}, new TextEncoder().encode(SECRET.repeat(2)), { alg: 'HS512' }), description: 'The algorithm of the token is not accepted.' },
  { name: 'an RSA-signed token (RS256)', token: () => sign({}, rsa.privateKey, { alg: 'RS256' }), description: 'The algorithm of the token is not accepted.' },
  { name: 'alg none (unsigned)', token: () => new UnsecuredJWT({ sub: 'u1', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }).encode(), description: 'The algorithm of the token is not accepted.' },
  { name: 'signed with another secret', token: () => sign({}, new TextEncoder().encode('another-secret-of-at-least-32-bytes-long!!')), description: 'The signature of the token is invalid.' },
  {
    name: 'payload changed after signing',
    token: async () => {
      const [header, , signature] = (await sign()).split('.');
      const payload = Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    description: 'The signature of the token is invalid.',
  },
  { name: 'not a JWT', token: () => 'not-a-jwt', description: 'The token is malformed.' },
  { name: 'two segments', token: () => 'eyJhbGciOiJIUzI1NiJ9.e30', description: 'The token is malformed.' },
  { name: 'header not JSON', token: () => `${Buffer.from('{oops').toString('base64url')}.e30.c2ln`, description: 'The token is malformed.' },
  { name: 'payload not JSON (signed)', token: () => hmacToken({ alg: 'HS256' }, '[1,2'), description: 'The token is malformed.' },
  { name: 'payload a JSON array (signed)', token: () => hmacToken({ alg: 'HS256' }, '[1,2]'), description: 'The token is malformed.' },
  { name: 'payload not JSON, bad signature', token: async () => `${(await sign()).split('.')[0]}.${Buffer.from('[1,2').toString('base64url')}.c2ln`, description: 'The signature of the token is invalid.' },
  { name: 'unknown critical header (signed)', token: () => hmacToken({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, JSON.stringify({ sub: 'u1', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 })), description: 'The token is malformed.' },
];

for (const { name, token, description } of refusedCases) {
  test(`refused token: ${name} → 401 invalid_token`, async (t) => {
    const { server, errors } = serve([hs256()]);
    const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await token()}`);
    t.deepEqual([response.status, response.body], [401, unauthorized]);
    t.is(response.headers['www-authenticate'], invalid(description));
    t.deepEqual(errors, []);
  });
}

test('an HS256 token made with the RSA public key as its secret is refused by an RS256 verifier (key confusion)', async (t) => {
  const { server } = serve([new JwtAuthentication({ publicKey: rsaPublicPem, algorithms: ['RS256'] })]);
  const forged = await sign({}, new TextEncoder().encode(rsaPublicPem), { alg: 'HS256' });
  const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${forged}`);
  t.deepEqual([response.status, response.body], [401, unauthorized]);
  t.is(response.headers['www-authenticate'], invalid('The algorithm of the token is not accepted.'));
});

test('"Bearer" with no token or with two words is a malformed token; other schemes and no header get the plain challenge', async (t) => {
  const { server } = serve([hs256()]);
  for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer \u00e9t\u00e9']) {
    const response = await request(server).get('/api/notes/').set('Authorization', header);
    t.deepEqual([response.status, response.body], [401, unauthorized], header);
    t.is(response.headers['www-authenticate'], invalid('The token is malformed.'), header);
  }
  for (const header of [undefined, 'Basic dXNlcjpwYXNz', 'Bearerx abc']) {
    const req = request(server).get('/api/notes/');
    const response = await (header === undefined ? req : req.set('Authorization', header));
    t.deepEqual([response.status, response.body], [401, unauthorized], String(header));
    t.is(response.headers['www-authenticate'], 'Bearer', String(header));
  }
});

test('realm: the challenge is Bearer realm="…", and refusals add the error after it', async (t) => {
  const { server } = serve([hs256({ realm: 'notes' })]);
  const missing = await request(server).get('/api/notes/');
  t.is(missing.headers['www-authenticate'], 'Bearer realm="notes"');
  const expired = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign({ exp: now() - 5 })}`);
  t.is(expired.headers['www-authenticate'], 'Bearer realm="notes", error="invalid_token", error_description="The token has expired."');
});

test('with AnonymousAuthentication after it, a refused token falls through as anonymous; a rule that then refuses says invalid_token', async (t) => {
  const { server } = serve([hs256(), AnonymousAuthentication], { List: allow, Create: authenticated });
  const expired = `Bearer ${await sign({ exp: now() - 5 })}`;
  const list = await request(server).get('/api/notes/').set('Authorization', expired);
  t.is(list.status, 200);
  t.is(list.body.data[0].viewer, null);
  const create = await request(server).post('/api/notes/').set('Authorization', expired).send({ title: 'x' });
  t.deepEqual([create.status, create.body], [401, unauthorized]);
  t.is(create.headers['www-authenticate'], invalid('The token has expired.'));
  const anonymous = await request(server).post('/api/notes/').send({ title: 'x' });
  t.is(anonymous.headers['www-authenticate'], 'Bearer');
});

test('hostile tokens never answer anything but 401 invalid_token (property)', async (t) => {
  const { server, errors } = serve([hs256()]);
  const visible = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 200 });
  const segments = fc.array(fc.oneof(visible, fc.base64String().map((text) => text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))), { minLength: 1, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(fc.oneof(visible, segments.map((parts) => parts.join('.'))), async (token) => {
      const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${token}`);
      return response.status === 401 && /^Bearer error="invalid_token", error_description="[^"]+"$/.test(response.headers['www-authenticate'] ?? '');
    }),
    { numRuns: 150 },
  );
  t.deepEqual(errors, []);
});

// ---- public keys ------------------------------------------------------------------------------------

test('publicKey: PEM, JWK, KeyObject and CryptoKey forms; RS256, PS256, ES256, ES384, EdDSA', async (t) => {
  const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const ed = generateKeyPairSync('ed25519');
  const cryptoKey = await webcrypto.subtle.importKey('spki', ec256.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const cases: Array<{ options: Partial<JwtOptions>; privateKey: Parameters<SignJWT['sign']>[0]; alg: string }> = [
    { options: { publicKey: rsaPublicPem, algorithms: ['RS256'] }, privateKey: rsa.privateKey, alg: 'RS256' },
    { options: { publicKey: rsa.publicKey, algorithms: ['RS256', 'PS256'] }, privateKey: rsa.privateKey, alg: 'PS256' },
    { options: { publicKey: (await exportJWK(ec256.publicKey)) as JWK, algorithms: ['ES256'] }, privateKey: ec256.privateKey, alg: 'ES256' },
    { options: { publicKey: cryptoKey, algorithms: ['ES256'] }, privateKey: ec256.privateKey, alg: 'ES256' },
    { options: { publicKey: ec384.publicKey, algorithms: ['ES384'] }, privateKey: ec384.privateKey, alg: 'ES384' },
    { options: { publicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), algorithms: ['EdDSA'] }, privateKey: ed.privateKey, alg: 'EdDSA' },
  ];
  for (const { options, privateKey, alg } of cases) {
    const { server } = serve([new JwtAuthentication({ ...options, algorithms: options.algorithms! })]);
    const token = await sign({}, privateKey, { alg });
    const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${token}`);
    t.is(response.status, 200, `${alg}: ${JSON.stringify(response.body)}`);
    // The same key type, another key: the signature does not verify.
    const other = alg.startsWith('E') && alg !== 'EdDSA' ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' }).privateKey : alg === 'EdDSA' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await sign({}, other, { alg })}`);
    t.is(forged.headers['www-authenticate'], invalid('The signature of the token is invalid.'), alg);
  }
});

test('configuration mistakes throw a TypeError at construction', (t) => {
  const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /needs options/],
    [{ secret: SECRET }, /algorithms is required/],
    [{ secret: SECRET, algorithms: [] }, /algorithms is required/],
    [{ secret: SECRET, algorithms: ['none'] }, /"none" \(unsigned tokens\) is never accepted/],
    [{ secret: SECRET, algorithms: ['HS256', 'NONE'] }, /"none"/],
    [{ secret: SECRET, algorithms: ['HS257'] }, /unknown algorithm "HS257"/],
    [{ algorithms: ['HS256'] }, /exactly one of secret, publicKey or jwksUri \(got none\)/],
    [{ secret: SECRET, publicKey: rsaPublicPem, algorithms: ['HS256'] }, /exactly one .* \(got secret, publicKey\)/],
    [{ secret: SECRET, algorithms: ['RS256'] }, /a secret verifies HS256, HS384 or HS512 tokens only, not RS256/],
    [{ secret: 'short', algorithms: ['HS256'] }, /HS256 needs a secret of at least 32 bytes \(got 5\)/],
    [{ secret: SECRET, algorithms: ['HS512'] }, /HS512 needs a secret of at least 64 bytes/],
    [{ publicKey: rsaPublicPem, algorithms: ['ES256'] }, /a rsa public key cannot verify ES256 tokens \(it verifies RS256/],
    [{ publicKey: rsaPublicPem, algorithms: ['HS256'] }, /cannot verify HS256/],
    [{ publicKey: ec256.publicKey, algorithms: ['ES384'] }, /a prime256v1 public key cannot verify ES384 tokens \(it verifies ES256\)/],
    [{ publicKey: privatePem, algorithms: ['RS256'] }, /publicKey is a private key/],
    [{ publicKey: rsa.privateKey, algorithms: ['RS256'] }, /publicKey is a private key/],
    [{ publicKey: { kty: 'oct', k: 'c2VjcmV0' }, algorithms: ['HS256'] }, /publicKey is a secret key; use the secret option/],
    [{ publicKey: weakRsa.publicKey, algorithms: ['RS256'] }, /at least 2048 bits/],
    [{ publicKey: 'not a pem', algorithms: ['RS256'] }, /publicKey is not a usable public key/],
    [{ publicKey: 42, algorithms: ['RS256'] }, /publicKey must be PEM text, a JWK, a KeyObject or a CryptoKey/],
    [{ jwksUri: 'https://keys.test/jwks.json', algorithms: ['HS256'] }, /a key set verifies public-key algorithms only, not HS256/],
    [{ jwksUri: 'ftp://keys.test/jwks.json', algorithms: ['RS256'] }, /jwksUri must be an http\(s\) URL/],
    [{ jwksUri: 'not a url', algorithms: ['RS256'] }, /jwksUri must be an http\(s\) URL/],
    [{ jwksUri: 'https://keys.test/', algorithms: ['RS256'], jwksCooldownSec: -1 }, /jwksCooldownSec must be a number of seconds/],
    [{ secret: SECRET, algorithms: ['HS256'], clockToleranceSec: -1 }, /clockToleranceSec must be a number of seconds ≥ 0/],
    [{ secret: SECRET, algorithms: ['HS256'], issuer: '' }, /issuer must be a non-empty string/],
    [{ secret: SECRET, algorithms: ['HS256'], audience: [] }, /audience must be a non-empty string/],
    [{ secret: SECRET, algorithms: ['HS256'], user: 'claims' }, /user must be a function/],
    [{ secret: SECRET, algorithms: ['HS256'], realm: 'line\nbreak' }, /realm must be printable ASCII/],
  ];
  for (const [options, message] of cases) {
    const error = t.throws(() => new JwtAuthentication(options as JwtOptions), { instanceOf: TypeError }, JSON.stringify(options));
    t.regex(error?.message ?? '', message);
  }
});

// ---- key sets (JWKS) --------------------------------------------------------------------------------

/** A local key-set server: `keys` is what it serves; `status` overrides the answer; `fetches` counts requests. */
async function keySetServer() {
  const state = { keys: [] as JWK[], fetches: 0, status: 200, body: undefined as string | undefined };
  const server: Server = createServer((req, res) => {
    state.fetches += 1;
    res.writeHead(state.status, { 'Content-Type': 'application/json' });
    res.end(state.body ?? JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return { state, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } as JWK;
  return { jwk, token: (claims: Record<string, unknown> = {}) => sign(claims, privateKey, { alg: 'RS256', kid }) };
}

test('jwksUri: the key set is fetched once and cached; a rotation is picked up when a token names a new kid', async (t) => {
  const keys = await keySetServer();
  t.teardown(keys.close);
  const first = await signingKey('k1');
  const second = await signingKey('k2');
  keys.state.keys = [first.jwk];
  const { server } = serve([new JwtAuthentication({ jwksUri: keys.url, algorithms: ['RS256'], issuer: ISSUER, jwksCooldownSec: 0 })]);
  const get = async (token: string) => request(server).get('/api/notes/').set('Authorization', `Bearer ${token}`);

  t.is(keys.state.fetches, 0, 'nothing is fetched before a token needs it');
  t.is((await get(await first.token())).status, 200);
  t.is((await get(await first.token())).status, 200);
  t.is(keys.state.fetches, 1, 'cached');

  // Rotation: the issuer now signs with k2 and has dropped k1.
  keys.state.keys = [second.jwk];
  t.is((await get(await second.token())).status, 200);
  t.is(keys.state.fetches, 2, 'an unknown kid fetched the key set again');
  const old = await get(await first.token());
  t.deepEqual([old.status, old.body], [401, unauthorized]);
  t.is(old.headers['www-authenticate'], invalid('No key known to this server signed the token.'));
});

test('jwksUri: within the cooldown a made-up kid does not fetch the key set again', async (t) => {
  const keys = await keySetServer();
  t.teardown(keys.close);
  const real = await signingKey('real');
  const stranger = await signingKey('made-up');
  keys.state.keys = [real.jwk];
  const { server } = serve([new JwtAuthentication({ jwksUri: keys.url, algorithms: ['RS256'] })]);
  t.is((await request(server).get('/api/notes/').set('Authorization', `Bearer ${await real.token()}`)).status, 200);
  for (let i = 0; i < 3; i++) {
    const response = await request(server).get('/api/notes/').set('Authorization', `Bearer ${await stranger.token()}`);
    t.is(response.headers['www-authenticate'], invalid('No key known to this server signed the token.'));
  }
  t.is(keys.state.fetches, 1);
});

test('jwksUri: a key set that cannot be fetched answers 503 + Retry-After (the token may be valid); a malformed token is still 401 without a fetch', async (t) => {
  const keys = await keySetServer();
  const key = await signingKey('k1');
  const { server, errors } = serve([new JwtAuthentication({ jwksUri: keys.url, algorithms: ['RS256'], jwksTimeoutSec: 2 })]);
  const get = async (token: string) => request(server).get('/api/notes/').set('Authorization', `Bearer ${token}`);
  const unavailable = { error: 'The keys that verify tokens could not be fetched; retry later.' };

  keys.state.status = 500;
  let response = await get(await key.token());
  t.deepEqual([response.status, response.body, response.headers['retry-after']], [503, unavailable, '5']);

  keys.state.status = 200;
  keys.state.body = '{"keys": [';
  response = await get(await key.token());
  t.deepEqual([response.status, response.body], [503, unavailable], 'not JSON');
  keys.state.body = '{"no": "keys"}';
  response = await get(await key.token());
  t.deepEqual([response.status, response.body], [503, unavailable], 'not a key set');

  const fetched = keys.state.fetches;
  response = await get('not-a-jwt');
  t.deepEqual([response.status, response.headers['www-authenticate']], [401, invalid('The token is malformed.')]);
  response = await get(await sign());
  t.deepEqual([response.status, response.headers['www-authenticate']], [401, invalid('The algorithm of the token is not accepted.')]);
  t.is(keys.state.fetches, fetched, 'no fetch for a token that cannot be valid');

  await keys.close(); // nothing listens there any more
  response = await get(await key.token());
  t.deepEqual([response.status, response.body], [503, unavailable], 'connection refused');
  t.deepEqual(errors, []);
});
