/**
 * Request bodies (SPEC §5): JSON objects only — 415 for other content types, 400 for malformed JSON
 * (NaN/Infinity, empty) and for JSON that is not an object, 413 above the limit (default 1 MB, or the
 * MongoRest's `bodyLimit`), `+json` types, and a body parsed earlier by the app's own koa-bodyparser.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { MongoRest, Resource, ResourceView, methods } from '../lib/index.js';
import { assertJson, uniqueTag, useApp, type AppServer } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

function build(connection: Connection) {
  const Note = connection.model('Note', new mongoose.Schema({ title: { type: String, required: true }, text: String }));
  class NoteResource extends Resource {
    document = Note;
  }
  class NoteView extends ResourceView {
    resource = NoteResource;
    methods = [methods.Create, methods.Update, methods.BulkUpdate, methods.Fetch, methods.Delete];
  }
  const mount = (app: Koa, options: ConstructorParameters<typeof MongoRest>[0]) => {
    const api = new TestMongoRest(options);
    api.register(NoteView, { url: '/notes/' });
    app.use(api.routes()).use(api.allowedMethods());
  };

  // The API alone, with the default limit, and a second one with a small custom limit.
  const app = new Koa();
  mount(app, { prefix: '/api' });
  mount(app, { prefix: '/small', bodyLimit: 64 });

  // An app that parses bodies itself first (koa-bodyparser's defaults: json and form), then marks what it parsed.
  const parsing = new Koa();
  parsing.use(bodyParser());
  parsing.use(async (ctx, next) => {
    const body = ctx.request.body as Record<string, unknown> | undefined;
    if (body && typeof body.title === 'string') body.title = `${body.title} (parsed by the app)`;
    await next();
  });
  mount(parsing, { prefix: '/api' });
  mount(parsing, { prefix: '/small', bodyLimit: 64 });

  // An app that records Koa's error events and the MongoRest's onError: a client abort must reach neither.
  // `settledOf` tells a test when the request it marked with `?probe=` was handled and its socket closed.
  const appErrors: unknown[] = [];
  const onErrorCalls: unknown[] = [];
  const settledOf = new Map<string, (request: { settled: Promise<unknown> }) => void>();
  const watched = new Koa();
  watched.on('error', (error) => appErrors.push(error));
  watched.use(async (ctx, next) => {
    const closed = new Promise((resolve) => ctx.res.once('close', resolve));
    const handled = next();
    settledOf.get(String(ctx.query.probe))?.({ settled: Promise.allSettled([handled, closed]) });
    await handled;
  });
  const watchedApi = new TestMongoRest({ prefix: '/api', onError: (error) => onErrorCalls.push(error) });
  watchedApi.register(NoteView, { url: '/notes/' });
  watched.use(watchedApi.routes()).use(watchedApi.allowedMethods());

  return { app, parsingServer: parsing.callback(), Note, watchedServer: watched.callback(), appErrors, onErrorCalls, settledOf };
}

const env = useApp(test, import.meta.url, build);

const INVALID_JSON = { error: 'The request contains invalid JSON.' };
const NOT_AN_OBJECT = { error: 'JSON data must be an object.' };
const UNSUPPORTED = { error: 'The request body must be JSON (Content-Type: application/json).' };
const tooLarge = (limit: number) => ({ error: `The request body is larger than the limit of ${limit} bytes.` });

const postRaw = (server: AppServer, path: string, type: string | undefined, body: string | Buffer) => {
  const req = request(server).post(path);
  if (type !== undefined) req.set('Content-Type', type);
  return req.send(body);
};

async function noteCount(title: string): Promise<number> {
  return env().Note.countDocuments({ title });
}

// ---- content types -------------------------------------------------------------------------------------

const refusedTypes: readonly string[] = [
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonp',
  'application/json-seq',
  'application/octet-stream',
];

for (const type of refusedTypes) {
  test(`Content-Type ${type} → 415`, async (t) => {
    const title = uniqueTag('type');
    const res = await postRaw(env().server, '/api/notes/', type, JSON.stringify({ title }));
    assertJson(t, res, 415, UNSUPPORTED);
    t.is(await noteCount(title), 0);
  });
}

test('a body without Content-Type → 415', async (t) => {
  const title = uniqueTag('type');
  const res = await request(env().server).post('/api/notes/').set('Content-Type', '').send(Buffer.from(JSON.stringify({ title })));
  assertJson(t, res, 415, UNSUPPORTED);
});

test('PUT on an item with a non-JSON body → 415, nothing written', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('put') });
  const res = await request(env().server).put(`/api/notes/${String(note._id)}/`).set('Content-Type', 'text/plain').send('title=changed');
  assertJson(t, res, 415, UNSUPPORTED);
  t.is((await env().Note.findById(note._id).lean())?.title, note.title);
});

test('bulk PUT with a non-JSON body → 415', async (t) => {
  const res = await request(env().server).put('/api/notes/').type('form').send({ title: 'x' });
  assertJson(t, res, 415, UNSUPPORTED);
});

const acceptedTypes: readonly string[] = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/vnd.api+json',
  'application/merge-patch+json',
  'application/problem+json; charset=utf-8',
];

for (const type of acceptedTypes) {
  test(`Content-Type ${type} is JSON`, async (t) => {
    const title = uniqueTag('type');
    const res = await postRaw(env().server, '/api/notes/', type, JSON.stringify({ title }));
    assertJson(t, res, 201, { id: res.body.id, title, text: null });
  });
}

// ---- malformed JSON, not an object ---------------------------------------------------------------------

const malformed: readonly [string, string][] = [
  ['an unterminated object', '{"title": "x"'],
  ['a bare word', '{bad'],
  ['NaN as a value', '{"title": "x", "n": NaN}'],
  ['NaN alone', 'NaN'],
  ['Infinity as a value', '{"title": "x", "n": Infinity}'],
  ['-Infinity as a value', '{"title": "x", "n": -Infinity}'],
  ['Infinity alone', 'Infinity'],
  ['a number too large for a double (parses to Infinity)', '{"title": "x", "n": 1e400}'],
  ['a negative number too large for a double', '{"title": "x", "n": -1e400}'],
  ['single quotes', "{'title': 'x'}"],
  ['a trailing comma', '{"title": "x",}'],
  ['a comment', '{"title": "x" /* c */}'],
  ['trailing garbage', '{"title": "x"} x'],
  ['two documents', '{"title": "x"}{"title": "y"}'],
  ['whitespace only', '   \n '],
  ['undefined', 'undefined'],
  ['an unquoted key', '{title: "x"}'],
  ['a lone minus', '-'],
];

for (const [what, body] of malformed) {
  test(`a body with ${what} → 400 invalid JSON`, async (t) => {
    assertJson(t, await postRaw(env().server, '/api/notes/', 'application/json', body), 400, INVALID_JSON);
  });
}

test('an empty body → 400 invalid JSON', async (t) => {
  assertJson(t, await postRaw(env().server, '/api/notes/', 'application/json', ''), 400, INVALID_JSON);
});

test('no body at all → 400 invalid JSON', async (t) => {
  assertJson(t, await request(env().server).post('/api/notes/'), 400, INVALID_JSON);
});

test('an empty body on PUT → 400 invalid JSON', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('put') });
  assertJson(t, await request(env().server).put(`/api/notes/${String(note._id)}/`).set('Content-Type', 'application/json'), 400, INVALID_JSON);
});

const notObjects: readonly [string, string][] = [
  ['an empty array', '[]'],
  ['an array of objects', '[{"title": "x"}]'],
  ['a string', '"title"'],
  ['a number', '42'],
  ['true', 'true'],
  ['null', 'null'],
];

for (const [what, body] of notObjects) {
  test(`a body that is ${what} → 400 must be an object`, async (t) => {
    assertJson(t, await postRaw(env().server, '/api/notes/', 'application/json', body), 400, NOT_AN_OBJECT);
  });
}

test('an empty object is an object (and then fails validation)', async (t) => {
  assertJson(t, await postRaw(env().server, '/api/notes/', 'application/json', '{}'), 400, { 'field-errors': { title: 'Path `title` is required.' } });
});

test('JSON with surrounding whitespace and a BOM-free UTF-8 body is accepted', async (t) => {
  const title = uniqueTag('ws');
  const res = await postRaw(env().server, '/api/notes/', 'application/json', `\n\t {"title": "${title}"} \r\n`);
  assertJson(t, res, 201, { id: res.body.id, title, text: null });
});

// ---- size limits ---------------------------------------------------------------------------------------

/** A JSON object of exactly `bytes` bytes. */
function bodyOfSize(bytes: number, title = 'sized'): string {
  const shell = JSON.stringify({ title, text: '' });
  return JSON.stringify({ title, text: 'x'.repeat(bytes - shell.length) });
}

test('a body above the default limit of 1 MB → 413', async (t) => {
  const res = await postRaw(env().server, '/api/notes/', 'application/json', bodyOfSize(1024 * 1024 + 1));
  assertJson(t, res, 413, tooLarge(1048576));
});

test('a body of exactly 1 MB is accepted', async (t) => {
  const title = uniqueTag('mb');
  const res = await postRaw(env().server, '/api/notes/', 'application/json', bodyOfSize(1024 * 1024, title));
  t.is(res.status, 201);
  t.is(res.body.title, title);
});

test('a body above a custom bodyLimit → 413 naming that limit', async (t) => {
  const title = uniqueTag('small');
  const res = await postRaw(env().server, '/small/notes/', 'application/json', bodyOfSize(65, title));
  assertJson(t, res, 413, tooLarge(64));
  t.is(await noteCount(title), 0);
});

test('a body of exactly a custom bodyLimit is accepted', async (t) => {
  const title = uniqueTag('small');
  const res = await postRaw(env().server, '/small/notes/', 'application/json', bodyOfSize(64, title));
  assertJson(t, res, 201, { id: res.body.id, title, text: res.body.text });
});

test('a custom bodyLimit applies to PUT too', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('small') });
  const res = await request(env().server).put(`/small/notes/${String(note._id)}/`).set('Content-Type', 'application/json').send(bodyOfSize(100));
  assertJson(t, res, 413, tooLarge(64));
});

/**
 * Sends a POST over a plain socket (supertest would re-encode a Buffer sent as JSON): `chunks` are written
 * one by one, with chunked transfer encoding unless a Content-Length header is given.
 */
async function rawPost(path: string, headers: Record<string, string | number>, chunks: (string | Buffer)[]): Promise<{ status: number; body: unknown }> {
  return rawRequest('POST', path, headers, chunks);
}

async function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  chunks: (string | Buffer)[],
): Promise<{ status: number; body: unknown }> {
  const server = http.createServer(env().server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path, method, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      // The server may answer (413) and close before every chunk is written.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('a chunked body (no Content-Length) above the limit → 413', async (t) => {
  const body = bodyOfSize(200);
  const res = await rawPost('/small/notes/', {}, [body.slice(0, 50), body.slice(50)]);
  t.deepEqual(res, { status: 413, body: tooLarge(64) });
});

test('a chunked body within the limit is accepted', async (t) => {
  const title = uniqueTag('chunk');
  const res = await rawPost('/api/notes/', {}, ['{"title":', ` "${title}"}`]);
  t.is(res.status, 201);
  t.like(res.body, { title });
});

test('a gzip-encoded JSON body is accepted', async (t) => {
  const title = uniqueTag('gzip');
  const gzipped = gzipSync(JSON.stringify({ title }));
  const res = await rawPost('/api/notes/', { 'Content-Encoding': 'gzip', 'Content-Length': gzipped.length }, [gzipped]);
  t.is(res.status, 201);
  t.like(res.body, { title, text: null });
});

test('a small gzip body that inflates above the limit → 413 (no decompression bomb)', async (t) => {
  const bomb = gzipSync(JSON.stringify({ title: 'bomb', text: 'x'.repeat(5 * 1024 * 1024) }));
  t.true(bomb.length < 64 * 1024);
  const res = await rawPost('/api/notes/', { 'Content-Encoding': 'gzip', 'Content-Length': bomb.length }, [bomb]);
  t.deepEqual(res, { status: 413, body: tooLarge(1048576) });
});

// ---- UTF-8 only, never silently changed (issue 10, item 6) ----------------------------------------------

const NOT_UTF8 = { error: 'The request body is not valid UTF-8.' };
const CHARSET_NOT_UTF8 = { error: 'The request body must be encoded as UTF-8 (charset=utf-8).' };
const loneSurrogate = (path: string) => ({ error: `Invalid string in "${path}": strings must be valid Unicode (no lone surrogates such as \\ud800).` });

/** A JSON body whose title holds `bytes` between two ASCII letters; `text` marks it. */
const titleWithBytes = (bytes: number[], text: string) =>
  Buffer.concat([Buffer.from('{"title": "a'), Buffer.from(bytes), Buffer.from(`b", "text": "${text}"}`)]);

const invalidUtf8: readonly [string, number[]][] = [
  ['a lone continuation byte', [0x80]],
  ['0xFF', [0xff]],
  ['a truncated 3-byte sequence', [0xe2, 0x82]],
  ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
  ['an encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
  ['a code point beyond U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
  ['Latin-1 "é" (E9)', [0xe9]],
];

for (const [what, bytes] of invalidUtf8) {
  test(`a body with ${what} → 400 not UTF-8, nothing stored`, async (t) => {
    const text = uniqueTag('utf8');
    const res = await rawPost('/api/notes/', {}, [titleWithBytes(bytes, text)]);
    t.deepEqual(res, { status: 400, body: NOT_UTF8 });
    t.is(await env().Note.countDocuments({ text }), 0);
  });
}

test('invalid UTF-8 on PUT → 400, nothing written', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('utf8') });
  const res = await rawRequest('PUT', `/api/notes/${String(note._id)}/`, {}, [titleWithBytes([0xff], 'x')]);
  t.deepEqual(res, { status: 400, body: NOT_UTF8 });
  t.is((await env().Note.findById(note._id).lean())?.title, note.title);
});

test('valid multi-byte UTF-8 (é, €, 😀, and U+FFFD itself) is stored exactly', async (t) => {
  const title = `${uniqueTag('utf8')} é € 😀 \ufffd`;
  const res = await rawPost('/api/notes/', {}, [Buffer.from(JSON.stringify({ title }), 'utf8')]);
  t.deepEqual(res, { status: 201, body: { id: (res.body as { id: string }).id, title, text: null } });
  t.is(await noteCount(title), 1);
});

test('a multi-byte character split across chunks is decoded whole', async (t) => {
  const title = `${uniqueTag('utf8')} 😀`;
  const bytes = Buffer.from(JSON.stringify({ title }), 'utf8');
  const cut = bytes.indexOf(0xf0) + 2;
  const res = await rawPost('/api/notes/', {}, [bytes.subarray(0, cut), bytes.subarray(cut)]);
  t.is(res.status, 201);
  t.is(await noteCount(title), 1);
});

test('a UTF-8 byte order mark before the JSON is skipped', async (t) => {
  const title = uniqueTag('bom');
  const res = await rawPost('/api/notes/', {}, [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ title }))])]);
  t.is(res.status, 201);
  t.is(await noteCount(title), 1);
});

/** [what, body with TAG where the marking text goes, the path named]. */
const surrogateBodies: readonly [string, string, string][] = [
  ['a lone high surrogate escape', '{"title": "sur\\ud800x", "text": "TAG"}', 'title'],
  ['a lone low surrogate escape', '{"title": "x\\udc00", "text": "TAG"}', 'title'],
  ['a surrogate pair in the wrong order', '{"title": "\\udc00\\ud800", "text": "TAG"}', 'title'],
  ['a high surrogate at the end', '{"text": "TAG", "title": "end\\ud83d"}', 'title'],
];

for (const [what, body, path] of surrogateBodies) {
  test(`a body with ${what} → 400, nothing stored`, async (t) => {
    const text = uniqueTag('surrogate');
    assertJson(t, await postRaw(env().server, '/api/notes/', 'application/json', body.replace('TAG', text)), 400, loneSurrogate(path));
    t.is(await env().Note.countDocuments({ text }), 0);
  });
}

test('a lone surrogate in a key → 400', async (t) => {
  const res = await postRaw(env().server, '/api/notes/', 'application/json', '{"title": "x", "k\\ud800": 1}');
  assertJson(t, res, 400, { error: 'Invalid key "k\\ud800": keys must be valid Unicode (no lone surrogates).' });
});

test('an escaped surrogate pair is one character and is stored', async (t) => {
  const tag = uniqueTag('pair');
  const res = await postRaw(env().server, '/api/notes/', 'application/json', `{"title": "${tag} \\ud83d\\ude00"}`);
  assertJson(t, res, 201, { id: res.body.id, title: `${tag} 😀`, text: null });
});

const refusedCharsets: readonly string[] = [
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=bogus',
  'application/json; charset=utf-16',
  'application/json; charset=us-ascii',
  'application/json; charset=utf8',
  'application/merge-patch+json; charset=windows-1252',
];

for (const type of refusedCharsets) {
  test(`Content-Type ${type} → 415, nothing stored`, async (t) => {
    const title = uniqueTag('charset');
    assertJson(t, await postRaw(env().server, '/api/notes/', type, JSON.stringify({ title })), 415, CHARSET_NOT_UTF8);
    t.is(await noteCount(title), 0);
  });
}

test('charset=utf-8 quoted, and no charset, are UTF-8', async (t) => {
  for (const type of ['application/json; charset="utf-8"', 'application/json']) {
    const title = `${uniqueTag('charset')} é`;
    const res = await postRaw(env().server, '/api/notes/', type, JSON.stringify({ title }));
    assertJson(t, res, 201, { id: res.body.id, title, text: null });
  }
});

test('a latin1 charset on PUT → 415, nothing written', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('charset') });
  const res = await request(env().server).put(`/api/notes/${String(note._id)}/`).set('Content-Type', 'application/json; charset=latin1').send('{"title": "changed"}');
  assertJson(t, res, 415, CHARSET_NOT_UTF8);
  t.is((await env().Note.findById(note._id).lean())?.title, note.title);
});

test('an unknown Content-Encoding → 415', async (t) => {
  const res = await rawPost('/api/notes/', { 'Content-Encoding': 'compress' }, ['{"title": "x"}']);
  t.deepEqual(res, { status: 415, body: { error: 'Unsupported Content-Encoding "compress".' } });
});

// ---- clients that go away mid-body (issue 10, item 8) ------------------------------------------------------

/**
 * Sends the headers and half of a body over a raw socket, then goes away: `reset` (TCP RST, the server
 * sees ECONNRESET) or `close` (FIN, the HTTP parser sees the body end early). Resolves once the server
 * has handled the request and closed its side; then serves one ordinary POST on the same server.
 */
async function abortMidBody(how: 'reset' | 'close'): Promise<{ status: number; title: string }> {
  const probe = uniqueTag('abort');
  const arrived = new Promise<{ settled: Promise<unknown> }>((resolve) => env().settledOf.set(probe, resolve));
  const server = http.createServer(env().watchedServer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const head = `POST /api/notes/?probe=${probe} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    socket.write(`${head}{"title": "${probe}", "te`);
    const { settled } = await arrived; // the request is being served, its body still incomplete
    if (how === 'reset') socket.resetAndDestroy();
    else socket.end();
    await settled;
    await new Promise((resolve) => setImmediate(resolve));
    const title = uniqueTag('after');
    const res = await request(server).post('/api/notes/').send({ title });
    return { status: res.status, title: probe };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

for (const how of ['reset', 'close'] as const) {
  test.serial(`a client that sends half a body and goes away (${how}) is no error: no onError, no Koa error event; the server keeps serving`, async (t) => {
    const { status, title } = await abortMidBody(how);
    t.deepEqual(env().appErrors, []);
    t.deepEqual(env().onErrorCalls, []);
    t.is(status, 201);
    t.is(await noteCount(title), 0);
  });
}

test.serial('20 clients that go away mid-body: still no error reported, and the server keeps serving', async (t) => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => abortMidBody(i % 2 === 0 ? 'reset' : 'close')));
  t.deepEqual(env().appErrors, []);
  t.deepEqual(env().onErrorCalls, []);
  t.deepEqual(
    results.map((result) => result.status),
    results.map(() => 201),
  );
});

// ---- a body parsed earlier by the app ------------------------------------------------------------------

test('a JSON body parsed earlier by the app’s koa-bodyparser is reused', async (t) => {
  const title = uniqueTag('app');
  const res = await postRaw(env().parsingServer, '/api/notes/', 'application/json', JSON.stringify({ title }));
  assertJson(t, res, 201, { id: res.body.id, title: `${title} (parsed by the app)`, text: null });
});

test('a +json body the app’s parser does not handle is still parsed', async (t) => {
  const title = uniqueTag('app');
  const res = await postRaw(env().parsingServer, '/api/notes/', 'application/merge-patch+json', JSON.stringify({ title }));
  assertJson(t, res, 201, { id: res.body.id, title, text: null });
});

test('a form body parsed by the app’s parser → 415', async (t) => {
  const res = await request(env().parsingServer).post('/api/notes/').type('form').send({ title: 'form' });
  assertJson(t, res, 415, UNSUPPORTED);
});

test('a text body next to the app’s parser → 415', async (t) => {
  const res = await postRaw(env().parsingServer, '/api/notes/', 'text/plain', '{"title": "x"}');
  assertJson(t, res, 415, UNSUPPORTED);
});

test('no body next to the app’s parser → 400 invalid JSON', async (t) => {
  assertJson(t, await request(env().parsingServer).post('/api/notes/'), 400, INVALID_JSON);
});

test('a JSON array parsed by the app’s parser → 400 must be an object', async (t) => {
  assertJson(t, await postRaw(env().parsingServer, '/api/notes/', 'application/json', '[{"title": "x"}]'), 400, NOT_AN_OBJECT);
});

test('a body the app parsed but larger than the MongoRest’s bodyLimit → 413', async (t) => {
  const title = uniqueTag('app');
  const res = await postRaw(env().parsingServer, '/small/notes/', 'application/json', bodyOfSize(200, title));
  assertJson(t, res, 413, tooLarge(64));
  t.is(await noteCount(`${title} (parsed by the app)`), 0);
});

// ---- bodies where none is read -------------------------------------------------------------------------

test('DELETE ignores a body', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('del') });
  const res = await request(env().server).delete(`/api/notes/${String(note._id)}/`).set('Content-Type', 'text/plain').send('whatever');
  t.is(res.status, 204);
});

test('GET ignores a body', async (t) => {
  const note = await env().Note.create({ title: uniqueTag('get') });
  const res = await request(env().server).get(`/api/notes/${String(note._id)}/`).set('Content-Type', 'application/json').send('{bad');
  assertJson(t, res, 200, { id: String(note._id), title: note.title, text: null });
});
