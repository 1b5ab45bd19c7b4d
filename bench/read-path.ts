/**
 * A quick, in-process measure of the library's own CPU on the read and create scenarios, for iterating
 * on those paths: the koa-mongorest and baseline contenders run in this one process against one database, and a
 * keep-alive client sends them the same requests in interleaved rounds. The client's CPU is in both
 * numbers, so what matters is the difference (lib − baseline, µs per request), which is less noisy on a
 * shared machine than two child processes' ratio. The headline numbers still come from `npm run bench`.
 *
 * With `--stub-db`, the driver's `find`/`findOne` answer from memory (copies of the seeded documents), so
 * what is left is the HTTP stack plus each contender's own code: the library's overhead without the
 * database's noise. The create scenarios (`create`, `create-checked`) then insert into nothing: the
 * driver's `insertOne` answers at once (a fresh id each time, so nothing collides); `update` applies its
 * `$set`/`$inc` to the in-memory copy (`findOneAndUpdate`).
 *
 * GC: the time the process spent collecting, per request of each contender's rounds (the library's garbage
 * is part of its cost; `--connections=1` keeps one request at a time, which makes it the steadiest).
 *
 * `node --import tsx bench/read-path.ts [--docs=2000] [--requests=2000] [--rounds=5] [--connections=10] [--scenarios=fetch,list-100,expanded,create,create-with-save,create-checked,update] [--stub-db] [--lib-only]`
 */
import { Agent, request } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Collection, MongoClient, type Document } from 'mongodb';
import { resolveBenchServer } from './database.js';
import { start as startBaseline } from './contenders/baseline.js';
import { start as startLib } from './contenders/koa-mongorest.js';
import { restDialect } from './routes.js';
import { seed } from './seed.js';
import type { ScenarioId } from './types.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string' },
    requests: { type: 'string' },
    rounds: { type: 'string' },
    scenarios: { type: 'string' },
    connections: { type: 'string' },
    'stub-db': { type: 'boolean' },
    'lib-only': { type: 'boolean' },
  },
});
const docs = Number(values.docs ?? 2000);
const requests = Number(values.requests ?? 2000);
const rounds = Number(values.rounds ?? 5);
const connections = Number(values.connections ?? 10);
const scenarios = (values.scenarios ?? 'list-20,list-100,fetch,expanded').split(',');

const server = await resolveBenchServer((line) => console.error(line));
const dbName = 'koa_mongorest_read_path';
const client = await new MongoClient(server.uri).connect();
const fixture = await seed(client.db(dbName), docs, () => undefined);
if (values['stub-db']) await stubDriver();
const config = { uri: server.uri, dbName, poolSize: connections };
const apps = { baseline: await startBaseline(config), lib: await startLib(config) };

/**
 * Variants measured on koa-mongorest only, against the baseline's scenario: `create-with-save` is `create`
 * sent to the contender's `/posts-with-save/` (the same resource with `directCreates = false`), so that
 * the direct insert and `save()` are compared in one process, round after round.
 */
const libVariants: Record<string, { scenario: ScenarioId; path: string }> = {
  'create-with-save': { scenario: 'create', path: '/posts-with-save/' },
};

/** The `index`-th request of a scenario, as `npm run bench` sends it (bench/routes.ts). */
function send(agent: Agent, port: number, scenario: string, index: number): Promise<void> {
  const variant = libVariants[scenario];
  const call = variant ? { ...restDialect.call(variant.scenario, index, fixture), path: variant.path } : restDialect.call(scenario as ScenarioId, index, fixture);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  const expected = call.method === 'POST' ? 201 : 200;
  return new Promise((resolve, reject) => {
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = request({ host: '127.0.0.1', port, path: call.path, method: call.method, headers, agent }, (res) => {
      if (res.statusCode !== expected) reject(new Error(`${call.method} ${call.path}: ${res.statusCode}`));
      res.on('data', () => undefined);
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Milliseconds spent in garbage collection so far (the process's GC entries, summed as they arrive). */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

/** CPU µs per request of `count` requests at `connections` concurrency, and GC µs per request among them. */
async function round(port: number, scenario: string, count: number): Promise<{ cpu: number; gc: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let next = 0;
  // GC entries are delivered after the fact: let the previous round's arrive before counting this one's.
  await sleep(20);
  const gcBefore = gcMs;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < count) await send(agent, port, scenario, next++);
    }),
  );
  const used = process.cpuUsage(before);
  agent.destroy();
  await sleep(20);
  return { cpu: (used.user + used.system) / count, gc: ((gcMs - gcBefore) * 1000) / count };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The baseline's scenario for a scenario or variant. */
const baseScenario = (scenario: string) => libVariants[scenario]?.scenario ?? scenario;
for (const scenario of scenarios) {
  await round(apps.baseline.server.port, baseScenario(scenario), requests / 4);
  await round(apps.lib.server.port, scenario, requests / 4);
}
// Rounds interleave every scenario (and the baseline with each), so that a slower stretch of a shared
// machine weighs on all of them alike.
const results = new Map(scenarios.map((scenario) => [scenario, { base: [] as number[], lib: [] as number[], diff: [] as number[], gcBase: [] as number[], gcLib: [] as number[] }]));
const none = { cpu: 0, gc: 0 };
for (let i = 0; i < rounds; i++) {
  for (const scenario of scenarios) {
    const result = results.get(scenario)!;
    const b = values['lib-only'] ? none : await round(apps.baseline.server.port, baseScenario(scenario), requests);
    const l = await round(apps.lib.server.port, scenario, requests);
    result.base.push(b.cpu);
    result.lib.push(l.cpu);
    result.diff.push(l.cpu - b.cpu);
    result.gcBase.push(b.gc);
    result.gcLib.push(l.gc);
  }
}
for (const [scenario, { base, lib, diff, gcBase, gcLib }] of results) {
  console.log(
    `${scenario.padEnd(16)} baseline ${median(base).toFixed(0).padStart(6)} µs/req  lib ${median(lib).toFixed(0).padStart(6)} µs/req  lib−base ${median(diff).toFixed(0).padStart(5)} µs  GC ${median(gcBase).toFixed(1)} / ${median(gcLib).toFixed(1)} µs/req (rounds: ${diff.map((d) => d.toFixed(0)).join(' ')})`,
  );
}
await apps.lib.close();
await apps.baseline.close();
await client.close();
await server.stop();

/** Replaces the driver's `find`/`findOne` with in-memory answers: fresh copies of the stored documents. */
async function stubDriver(): Promise<void> {
  const db = client.db(dbName);
  const stored = new Map<string, Map<string, Document>>();
  for (const name of ['posts', 'users']) {
    const docs = await db.collection(name).find().toArray();
    stored.set(name, new Map(docs.map((doc) => [String(doc._id), doc])));
  }
  const copy = (doc: Document): Document => {
    const out: Document = {};
    for (const key of Object.keys(doc)) out[key] = Array.isArray(doc[key]) ? [...(doc[key] as unknown[])] : doc[key];
    return out;
  };
  const matching = (name: string, filter: Document, limit: number): Document[] => {
    const docs = stored.get(name)!;
    const id = filter._id as unknown;
    if (id && typeof id === 'object' && '$in' in id) return (id.$in as unknown[]).map((one) => docs.get(String(one))).filter((doc) => doc !== undefined).map(copy);
    if (id !== undefined) return [docs.get(String(id))].filter((doc) => doc !== undefined).map(copy);
    const out: Document[] = [];
    for (const doc of docs.values()) {
      if (out.length >= (limit || Infinity)) break;
      out.push(copy(doc));
    }
    return out;
  };
  Collection.prototype.findOne = async function (this: Collection, filter: Document = {}) {
    return matching(this.collectionName, filter, 1)[0] ?? null;
  } as never;
  Collection.prototype.find = function (this: Collection, filter: Document = {}, options: { limit?: number } = {}) {
    const docs = matching(this.collectionName, filter, options.limit ?? 0);
    return { toArray: async () => docs };
  } as never;
  Collection.prototype.insertOne = async function (this: Collection, doc: Document) {
    return { acknowledged: true, insertedId: doc._id };
  } as never;
  // `$set` and `$inc` by `_id`, the document after (what the update scenario sends, from every contender).
  Collection.prototype.findOneAndUpdate = async function (this: Collection, filter: Document, update: Document) {
    const docs = stored.get(this.collectionName)!;
    const doc = docs.get(String(filter._id));
    if (!doc) return null;
    const next = { ...copy(doc), ...(update.$set as Document | undefined) };
    for (const [key, by] of Object.entries((update.$inc as Record<string, number> | undefined) ?? {})) next[key] = ((next[key] as number | undefined) ?? 0) + by;
    docs.set(String(filter._id), next);
    return copy(next);
  } as never;
}
