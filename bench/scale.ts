/**
 * `npm run bench -- --scale [--quick] [--docs=N] [--depth=N] [--rounds=N]`: depth and scale (issues 12
 * and 15), koa-mongorest alone. The same requests are measured against a small collection (1,000 posts)
 * and a large one (`--docs`, default 100,000), each served by the koa-mongorest contender in a server
 * child of the usual shape: by id, the first page, a page at depth `--depth` (default half the
 * collection) with `_skip` and with an `_after` cursor, a first page with `_count`, and an NDJSON stream of
 * the whole collection (lines, megabytes, seconds, the server's RSS before and at its peak). Requests run
 * one at a time (`--rounds` each, median latency) and the server's CPU per request is measured around
 * them, so what grows with the collection shows as the large/small ratio. See docs/performance.md.
 */
import http from 'node:http';
import { MongoClient, type Db } from 'mongodb';
import { cursorKey, encodeCursor, parseAfter } from '../lib/query/cursor.js';
import type { ResolvedServer } from '../test/fixtures/server/resolve.js';
import { ServerChild } from './child.js';
import { collections } from './models.js';
import type { BenchOptions } from './options.js';
import { median } from './report.js';
import { seed } from './seed.js';
import { benchCursorSecret } from './types.js';

/** The small collection the large one is compared with. */
const smallDocs = 1_000;
/** Generous: a deep `_skip`, `_count` or a stream on a slow server must be measured, not answered 503. */
const databaseTimeoutMS = 120_000;

export const scaleScenarios = ['fetch', 'first-page', 'skip-deep', 'after-deep', 'count'] as const;
type ScaleScenario = (typeof scaleScenarios)[number];

const titles: Record<ScaleScenario, string> = {
  fetch: 'GET by id',
  'first-page': 'GET first page (20)',
  'skip-deep': 'GET page at depth, _skip',
  'after-deep': 'GET page at depth, _after',
  count: 'GET first page + _count',
};

export interface ScaleCell {
  /** Median latency of one request (sequential), ms. */
  ms: number;
  /** Server CPU per request over all rounds, µs. */
  cpuMicros: number;
}

export interface StreamResult {
  lines: number;
  megabytes: number;
  seconds: number;
  cpuMicros: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
}

export interface ScaleSize {
  docs: number;
  /** The server's CPU while idle (driver monitoring, timers), µs per second: subtracted from every cell. */
  idleCpuMicrosPerSecond: number;
  depth: number;
  seedSeconds: number;
  cells: Record<ScaleScenario, ScaleCell>;
  stream: StreamResult;
}

export interface ScaleReport {
  startedAt: string;
  database: string;
  rounds: number;
  small: ScaleSize;
  large: ScaleSize;
  loadAverageAtEnd: number;
}

interface Answer {
  status: number;
  bytes: number;
  lines: number;
}

function get(url: string, path: string, accept = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${path}`, { headers: { Accept: accept } }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (const byte of chunk) if (byte === 10) lines++;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, lines }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The `_after` cursor a client holds after walking `depth` posts in `_id` order, signed as the API does. */
async function cursorAt(db: Db, depth: number): Promise<string> {
  const [last] = await db.collection(collections.posts).find().sort({ _id: 1 }).skip(depth - 1).limit(1).toArray();
  const key = cursorKey(benchCursorSecret);
  const request = parseAfter({ _after: '' }, [], '/posts', key)!;
  return encodeURIComponent(encodeCursor(request, last!, key));
}

async function measureSize(
  docs: number,
  opts: BenchOptions,
  server: ResolvedServer,
  client: MongoClient,
  log: (line: string) => void,
): Promise<ScaleSize> {
  const dbName = `koa_mongorest_scale_${docs}`;
  const db = client.db(dbName);
  log(`[scale] seeding ${docs} posts…`);
  const seeded = await seed(db, docs, log);
  const depth = Math.min(opts.depth ?? Math.floor(opts.docs / 2), Math.floor(docs / 2));
  const child = await ServerChild.start('koa-mongorest', {
    uri: server.uri,
    dbName,
    poolSize: 2,
    databaseTimeoutMS,
    // --cpu-prof: one folder per collection size.
    ...(opts.cpuProfDir ? { cpuProfDir: `${opts.cpuProfDir}/${docs}` } : {}),
  });
  try {
    const after = await cursorAt(db, depth);
    const paths: Record<ScaleScenario, (i: number) => string> = {
      fetch: (i) => `/posts/${seeded.postIds[(i * 7919) % seeded.postIds.length]}/`,
      'first-page': () => '/posts/?_limit=20',
      'skip-deep': () => `/posts/?_limit=20&_skip=${depth}`,
      'after-deep': () => `/posts/?_limit=20&_after=${after}`,
      count: () => '/posts/?_limit=20&_count=1',
    };
    // A slow request (seconds on FerretDB) spends most of its time waiting: the server's background CPU
    // over that time is not the request's, so it is measured idle and taken out.
    const idleStart = await child.cpuMicros();
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleCpuMicrosPerSecond = ((await child.cpuMicros()) - idleStart) / ((performance.now() - idleStarted) / 1000);
    const cells = {} as Record<ScaleScenario, ScaleCell>;
    for (const scenario of scaleScenarios) {
      // One unmeasured request first (connection, plan cache, JIT).
      await get(child.url, paths[scenario](opts.rounds));
      const samples: number[] = [];
      const cpuBefore = await child.cpuMicros();
      const cellStarted = performance.now();
      for (let round = 0; round < opts.rounds; round++) {
        const started = performance.now();
        const answer = await get(child.url, paths[scenario](round));
        if (answer.status !== 200) throw new Error(`${paths[scenario](round)} answered ${answer.status}`);
        samples.push(performance.now() - started);
      }
      const background = (idleCpuMicrosPerSecond * (performance.now() - cellStarted)) / 1000;
      const cpu = Math.max(0, (await child.cpuMicros()) - cpuBefore - background);
      cells[scenario] = { ms: median(samples), cpuMicros: cpu / opts.rounds };
      log(`[scale] ${docs} posts, ${titles[scenario]}: ${cells[scenario].ms.toFixed(1)} ms, ${cells[scenario].cpuMicros.toFixed(0)} CPU us`);
    }

    const before = await child.memory();
    let peak = before.rss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await child.rss());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const cpuBefore = await child.cpuMicros();
    const started = performance.now();
    const streamed = await get(child.url, '/posts/', 'application/x-ndjson');
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const cpu = Math.max(0, (await child.cpuMicros()) - cpuBefore - idleCpuMicrosPerSecond * seconds);
    if (streamed.status !== 200 || streamed.lines !== docs) throw new Error(`the stream answered ${streamed.status} with ${streamed.lines} lines`);
    const stream: StreamResult = {
      lines: streamed.lines,
      megabytes: streamed.bytes / 1e6,
      seconds,
      cpuMicros: cpu,
      rssBeforeMiB: before.rss / 2 ** 20,
      rssPeakMiB: peak / 2 ** 20,
    };
    log(`[scale] ${docs} posts, NDJSON stream: ${stream.lines} lines in ${seconds.toFixed(1)} s, RSS ${stream.rssBeforeMiB.toFixed(0)} → peak ${stream.rssPeakMiB.toFixed(0)} MiB`);
    return { docs, idleCpuMicrosPerSecond, depth, seedSeconds: seeded.seconds, cells, stream };
  } finally {
    await child.stop();
    await db.dropDatabase().catch(() => undefined);
  }
}

export async function runScale(opts: BenchOptions, server: ResolvedServer, log: (line: string) => void): Promise<ScaleReport> {
  const startedAt = new Date().toISOString();
  const client = await new MongoClient(server.uri).connect();
  try {
    const small = await measureSize(Math.min(smallDocs, opts.docs), opts, server, client, log);
    const large = await measureSize(opts.docs, opts, server, client, log);
    const { loadavg } = await import('node:os');
    return { startedAt, database: server.label, rounds: opts.rounds, small, large, loadAverageAtEnd: loadavg()[0]! };
  } finally {
    await client.close();
  }
}

/** The scale table: each scenario at both sizes, and the large/small ratio of CPU per request. */
export function scaleTable(report: ScaleReport, markdown = false): string {
  const { small, large } = report;
  const header = ['scenario', `ms (${small.docs})`, `ms (${large.docs})`, `CPU us (${small.docs})`, `CPU us (${large.docs})`, 'CPU large/small'];
  const rows = scaleScenarios.map((scenario) => {
    const a = small.cells[scenario];
    const b = large.cells[scenario];
    return [titles[scenario], a.ms.toFixed(1), b.ms.toFixed(1), a.cpuMicros.toFixed(0), b.cpuMicros.toFixed(0), `${(b.cpuMicros / a.cpuMicros).toFixed(2)}x`];
  });
  const streamRow = (size: ScaleSize) =>
    `NDJSON stream of ${size.docs} posts: ${size.stream.lines} lines, ${size.stream.megabytes.toFixed(1)} MB in ${size.stream.seconds.toFixed(1)} s ` +
    `(${(size.stream.cpuMicros / size.stream.lines).toFixed(0)} CPU us/document); server RSS ${size.stream.rssBeforeMiB.toFixed(0)} MiB before, ` +
    `peak ${size.stream.rssPeakMiB.toFixed(0)} MiB`;
  const notes = [
    `depth: ${small.depth} (small), ${large.depth} (large); ${report.rounds} sequential requests per cell, median latency; CPU: server CPU per request, ` +
      `less its idle CPU (${small.idleCpuMicrosPerSecond.toFixed(0)} and ${large.idleCpuMicrosPerSecond.toFixed(0)} us/s) over the cell's time`,
    streamRow(small),
    streamRow(large),
  ];
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line), '', ...notes.map((note) => `- ${note}`)].join('\n');
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const pad = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [pad(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(pad), '', ...notes].join('\n');
}
