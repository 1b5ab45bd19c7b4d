/**
 * The issue-12 scenarios, koa-mongorest alone: a deep page (`_skip` at DEPTH versus `_after` at the same
 * depth) and an NDJSON stream of every document (lines counted, peak RSS of the process sampled while it
 * streams). Run: `node --import tsx --expose-gc bench/http-scenarios.ts [--docs=N] [--depth=N] [--rounds=N]`
 * (defaults 100,000 / 50,000 / 20). Server and client share this process, so the RSS is the sum of both.
 * Uses MONGODB_URI when set, else starts a server like the tests do.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Koa from 'koa';
import mongoose from 'mongoose';
import { MongoRest, Resource, ResourceView, methods } from '../lib/index.js';
import { cursorKey, encodeCursor, parseAfter } from '../lib/query/cursor.js';
import { resolveServer } from '../test/fixtures/server/resolve.js';

const { values } = parseArgs({ options: { docs: { type: 'string' }, depth: { type: 'string' }, rounds: { type: 'string' } } });
const docs = Number(values.docs ?? 100_000);
const depth = Number(values.depth ?? 50_000);
const rounds = Number(values.rounds ?? 20);
if (!(depth < docs)) throw new Error('--depth must be below --docs');
const secret = 'bench-cursor-secret-0123456789';

const server = process.env.MONGODB_URI ? undefined : await resolveServer();
const uri = process.env.MONGODB_URI ?? server!.uri;
const connection = await mongoose.createConnection(uri, { dbName: `bench_http_${Date.now()}` }).asPromise();
try {
  const Entry = connection.model('Entry', new mongoose.Schema({ title: String, n: Number, body: String }));
  for (let start = 0; start < docs; start += 5_000) {
    const batch = Array.from({ length: Math.min(5_000, docs - start) }, (_, i) => ({ title: `Entry ${start + i}`, n: start + i, body: 'x'.repeat(200) }));
    await Entry.collection.insertMany(batch);
  }
  class EntryResource extends Resource {
    document = Entry;
    override maxStreamDocuments = docs;
  }
  class EntryView extends ResourceView {
    resource = EntryResource;
    methods = [methods.List];
  }
  const api = new MongoRest({ cursorSecret: secret, databaseTimeoutMS: 60_000 });
  api.register(EntryView, { url: '/entries/' });
  const app = new Koa().use(api.routes());
  const listener = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;

  // The cursor a client would hold after walking `depth` documents (ordered by _id), signed as the API does.
  const [last] = await Entry.collection.find().sort({ _id: 1 }).skip(depth - 1).limit(1).toArray();
  const key = cursorKey(secret);
  const request = parseAfter({ _after: '' }, [], '/entries', key)!;
  const after = encodeURIComponent(encodeCursor(request, last!, key));

  const get = (path: string, accept = 'application/json') =>
    new Promise<{ status: number; bytes: number; lines: number }>((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path, headers: { Accept: accept } }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (const byte of chunk) if (byte === 10) lines++;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, lines }));
        res.on('error', reject);
      }).on('error', reject);
    });
  const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  async function time(path: string): Promise<number> {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = process.hrtime.bigint();
      const res = await get(path);
      if (res.status !== 200) throw new Error(`${path} → ${res.status}`);
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return median(samples);
  }

  const results: Record<string, unknown> = { docs, depth, rounds, server: server?.label ?? 'MONGODB_URI' };
  results.firstPageMs = await time('/entries/?_limit=20');
  results.skipPageMs = await time(`/entries/?_limit=20&_skip=${depth}`);
  results.afterPageMs = await time(`/entries/?_limit=20&_after=${after}`);

  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  const streamed = await get('/entries/', 'application/x-ndjson');
  clearInterval(sampler);
  results.stream = {
    lines: streamed.lines,
    megabytes: Math.round(streamed.bytes / 1e5) / 10,
    seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100,
    rssBeforeMB: Math.round(rssBefore / 1e6),
    rssPeakMB: Math.round(peak / 1e6),
  };
  console.log(JSON.stringify(results, null, 2));
  listener.close();
} finally {
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
  await server?.stop();
}
