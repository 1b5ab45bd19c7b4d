/**
 * `npm run bench:soak [-- --minutes=10] [--rate=N] [--docs=N] [--connections=N]`: the memory soak of
 * issue 15. Seeds the benchmark data set, starts the koa-mongorest contender (bench/contenders/) in a
 * server child of the same shape as `npm run bench`, and drives it at a moderate fixed rate with a mix of
 * reads and writes (fetch, list, expanded list, create, update). The child's heap is sampled after a forced
 * GC at the start, after the warm-up, every minute and at the end; the run passes when the heap at the end
 * is within 10 % of the heap after warm-up. Prints a table and writes bench/results/soak-<timestamp>.json.
 * See docs/performance.md.
 */
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { MongoClient } from 'mongodb';
import { resolveBenchServer } from './database.js';
import { ServerChild } from './child.js';
import { restDialect } from './routes.js';
import { removeCreated, seed } from './seed.js';
import type { Fixture, HttpCall, MemorySample, ScenarioId } from './types.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    docs: { type: 'string' },
    connections: { type: 'string' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes ?? 10);
const rate = Number(values.rate ?? 100);
const docs = Number(values.docs ?? 10_000);
const connections = Number(values.connections ?? 10);
const outDir = values.out ?? new URL('./results/', import.meta.url).pathname;
for (const [name, value] of Object.entries({ minutes, rate, docs, connections })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
}
/** Warm-up before the reference heap sample: a minute, or a fifth of a shorter run. */
const warmupSeconds = Math.min(60, (minutes * 60) / 5);
const dbName = 'koa_mongorest_soak';

/** The mix, by weight: mostly reads, a fifth writes (creates are removed at the end). */
const mix: readonly [ScenarioId, number][] = [
  ['fetch', 45],
  ['list-20', 20],
  ['expanded', 15],
  ['create', 10],
  ['update', 10],
];
const totalWeight = mix.reduce((sum, [, weight]) => sum + weight, 0);
function scenarioAt(i: number): ScenarioId {
  // A fixed interleaving (no randomness): request i takes the slot i mod totalWeight.
  let slot = (i * 7) % totalWeight;
  for (const [id, weight] of mix) {
    if (slot < weight) return id;
    slot -= weight;
  }
  return mix[0]![0];
}

const t0 = performance.now();
const log = (line: string) => console.error(`${((performance.now() - t0) / 1000).toFixed(1).padStart(7)}s ${line}`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const server = await resolveBenchServer(log);
const client = await new MongoClient(server.uri).connect();
let child: ServerChild | undefined;
try {
  const db = client.db(dbName);
  log(`[soak] database: ${server.label}; seeding ${docs} posts…`);
  const seeded = await seed(db, docs, log);
  const fixture: Fixture = { postIds: seeded.postIds, userIds: seeded.userIds };
  child = await ServerChild.start('koa-mongorest', { uri: server.uri, dbName, poolSize: connections });
  const samples: { at: number; label: string; memory: MemorySample }[] = [];
  const sample = async (label: string) => {
    const memory = await child!.memory();
    samples.push({ at: (performance.now() - t0) / 1000, label, memory });
    log(`[soak] ${label}: heap ${mib(memory.heapUsed)} MiB, rss ${mib(memory.rss)} MiB`);
  };
  await sample('start (idle)');

  let counter = 0;
  const statuses = new Map<number, number>();
  const startedLoad = performance.now();
  const timers = [
    setTimeout(() => void sample('after warm-up'), warmupSeconds * 1000),
    setInterval(() => void sample(`minute ${Math.round((performance.now() - startedLoad) / 60_000)}`), 60_000),
  ];
  log(`[soak] ${minutes} min at ${rate} req/s over ${connections} connections (warm-up ${warmupSeconds} s)`);
  const result = await autocannon({
    url: child.url,
    connections,
    overallRate: rate,
    duration: minutes * 60,
    sampleInt: 1000,
    requests: [
      {
        setupRequest: (request) => {
          const i = counter++;
          const call: HttpCall = restDialect.call(scenarioAt(i), i, fixture);
          return call.body === undefined
            ? { ...request, method: call.method, path: call.path }
            : { ...request, method: call.method, path: call.path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(call.body) };
        },
        onResponse: (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
      },
    ],
  });
  clearTimeout(timers[0]);
  clearInterval(timers[1]);
  await child.idle();
  await sample('end');
  const removed = await removeCreated(db);

  const warm = samples.find((entry) => entry.label === 'after warm-up') ?? samples[0]!;
  const end = samples.at(-1)!;
  const growth = end.memory.heapUsed / warm.memory.heapUsed - 1;
  const within = Math.abs(growth) <= 0.1;
  console.log(`\nsoak: ${minutes} min, ${result.requests.sent} requests (${Math.round(result.requests.average)} req/s), mix ${mix.map(([id, w]) => `${id} ${w}%`).join(', ')}`);
  console.log(`statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([status, count]) => `${status} x${count}`).join(', ')}; errors ${result.errors}, timeouts ${result.timeouts}`);
  console.log(`load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(2)}; ${removed} created posts removed\n`);
  console.log('sample              at s   heap MiB   RSS MiB');
  for (const entry of samples) {
    console.log(`${entry.label.padEnd(18)} ${entry.at.toFixed(0).padStart(5)} ${mib(entry.memory.heapUsed).padStart(10)} ${mib(entry.memory.rss).padStart(9)}`);
  }
  console.log(`\nheap at the end vs after warm-up: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % (${within ? 'within' : 'NOT within'} 10 %); peak RSS ${mib(end.memory.maxRss)} MiB`);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const report = { minutes, rate, docs, connections, database: server.label, loadAverageAtEnd: os.loadavg()[0], statuses: Object.fromEntries(statuses), requests: result.requests.sent, samples, growth, within };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written: ${file}`);
  if (!within) process.exitCode = 1;
} finally {
  await child?.stop();
  await client.close();
  await server.stop();
}
