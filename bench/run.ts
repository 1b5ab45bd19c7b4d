/**
 * `npm run bench [-- --quick] [--docs=N] …`: provisions a database, seeds it, starts every contender in
 * a child process of the same shape, then for each scenario checks one response of each contender,
 * warms each up and runs interleaved measured rounds (A/B/C, A/B/C, …) with autocannon. Prints the
 * medians and writes bench/results/<timestamp>.json (+ .md). See docs/performance.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { resolveBenchServer } from './database.js';
import type { ResolvedServer } from '../test/fixtures/server/resolve.js';
import { ServerChild } from './child.js';
import { contenders } from './contenders/index.js';
import { combineLoads, probe, runLoad, splitLength, type LoadResult, type RunLength } from './load.js';
import { parseOptions, roundLength, warmupLength, warmupPieces, type BenchOptions } from './options.js';
import {
  describeRun,
  machine,
  machineIdleShare,
  memoryTable,
  notes,
  ratios,
  resultsTable,
  summarize,
  versions,
  writeReport,
  type BenchReport,
  type ContenderReport,
  type ScenarioReport,
} from './report.js';
import { dialects } from './routes.js';
import { runScale, scaleTable } from './scale.js';
import { scenarios } from './scenarios.js';
import { removeCreated, seed } from './seed.js';
import type { ContenderId, Fixture, ScenarioId } from './types.js';

const dbName = 'koa_mongorest_bench';
/** koa-mongorest's `databaseTimeoutMS` on FerretDB (see main). */
const ferretDeadlineMS = 30_000;
const t0 = performance.now();
/** Progress on stderr, stamped with the seconds since start (the table goes to stdout). */
const log = (line: string) => console.error(`${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}`);
const firstLines = (error: unknown, count = 3) =>
  (error instanceof Error ? error.message : String(error)).split('\n').slice(0, count).join('\n    ');

const options = parseOptions(process.argv.slice(2));
const startedAt = new Date();
const idleAtStart = await machineIdleShare(1000);
if (idleAtStart < 0.8) {
  const busy = Math.round((1 - idleAtStart) * 100);
  log(`[bench] WARNING: the machine is busy (${busy} % CPU in use before start); other work skews the numbers`);
}
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => log(String(error)));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  if (options.scale) await scaleMain(options);
  else await matrixMain(options);
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

/** `--scale`: bench/scale.ts, then its table on stdout and `scale-<timestamp>.json` (+ .md). */
async function scaleMain(opts: BenchOptions): Promise<void> {
  const server = await resolveBenchServer(log);
  cleanups.push(() => server.stop());
  log(`[bench] database: ${server.label}`);
  const report = await runScale(opts, server, log);
  const seconds = (performance.now() - t0) / 1000;
  const header = `${report.database}; ${Math.round(idleAtStart * 100)} % idle before start, load average ${report.loadAverageAtEnd.toFixed(1)} at the end`;
  console.log(`\n${header}\n\n${scaleTable(report)}`);
  await mkdir(opts.outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = path.join(opts.outDir, `scale-${stamp}.json`);
  await writeFile(file, `${JSON.stringify({ ...report, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, seconds }, null, 2)}\n`);
  await writeFile(file.replace(/\.json$/, '.md'), `# Scale ${report.startedAt}\n\n${header}\n\n${scaleTable(report, true)}\n`);
  console.log(`\nwritten: ${file} (+ .md); total ${seconds.toFixed(0)} s`);
}

async function matrixMain(options: BenchOptions): Promise<void> {
  const report = await main(options);
  console.log(`\n${describeRun(report)}\n\n${resultsTable(report)}\n${notes(report)}\n\n${memoryTable(report)}`);
  const file = await writeReport(report, options.outDir);
  console.log(`\nwritten: ${file} (+ .md); total ${report.seconds.toFixed(0)} s`);
}

async function main(opts: BenchOptions): Promise<BenchReport> {
  const server: ResolvedServer = await resolveBenchServer(log);
  cleanups.push(() => server.stop());
  log(`[bench] database: ${server.label}`);
  if (server.ferretBackend === 'sqlite' && opts.docs > 20_000) {
    log(
      `[bench] WARNING: FerretDB's SQLite backend sorts and filters in memory after a full scan: with ${opts.docs} ` +
        'posts the filtered scenario takes seconds per request (koa-mongorest answers 503 past its database ' +
        `deadline, ${ferretDeadlineMS / 1000} s here). Use MONGODB_URI with a real MongoDB for large data sets.`,
    );
  }

  const client = await new MongoClient(server.uri).connect();
  cleanups.push(() => client.close());
  const db = client.db(dbName);
  log(`[bench] seeding ${opts.docs} posts…`);
  const seeded = await seed(db, opts.docs, log);
  log(`[bench] seeded in ${seeded.seconds.toFixed(1)} s`);
  const fixture: Fixture = { postIds: seeded.postIds, userIds: seeded.userIds };

  // FerretDB scans the collection for `filtered` on either backend (it pushes no range or sort down; seconds
  // per request under load at 10k posts over SQLite, a few hundred ms over PostgreSQL): a user of a
  // database that slow raises the library's 2 s deadline, and the scenario then gets a ratio instead of 503s.
  const libraryDeadlineMS = server.kind === 'ferretdb' ? ferretDeadlineMS : undefined;
  const children = await startChildren(opts, server.uri, libraryDeadlineMS);
  const contenderReports: ContenderReport[] = opts.contenders.map((id) => {
    const child = children.get(id);
    return child instanceof ServerChild
      ? { id, label: contenders[id].label, status: 'ran' }
      : { id, label: contenders[id].label, status: 'skipped', reason: child };
  });
  // In the order given (children start in parallel and finish starting in any order).
  const running = opts.contenders.map((id) => children.get(id)).filter((child) => child instanceof ServerChild);
  const before = new Map(await Promise.all(running.map(async (child) => [child.id, await child.memory()] as const)));

  const scenarioReports: ScenarioReport[] = [];
  for (const scenarioId of opts.scenarios) {
    scenarioReports.push(await runScenario(scenarioId, opts, running, fixture, db));
  }
  for (const child of running) {
    const memory = { before: before.get(child.id)!, after: await child.memory() };
    contenderReports.find((contender) => contender.id === child.id)!.memory = memory;
  }

  return {
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
    options: opts,
    machine: machine(idleAtStart),
    database: {
      label: server.label,
      kind: server.kind,
      posts: seeded.posts,
      users: seeded.users,
      seedSeconds: seeded.seconds,
      ...(libraryDeadlineMS !== undefined ? { libraryDeadlineMS } : {}),
    },
    versions: await versions(opts.contenders.flatMap((id) => contenders[id].packages)),
    contenders: contenderReports,
    scenarios: scenarioReports,
  };
}

/** Starts one child per contender; a contender that fails to start is reported (reason) and skipped. */
async function startChildren(opts: BenchOptions, uri: string, databaseTimeoutMS: number | undefined): Promise<Map<ContenderId, ServerChild | string>> {
  const started = new Map<ContenderId, ServerChild | string>();
  await Promise.all(
    opts.contenders.map(async (id) => {
      try {
        const config = {
          uri,
          dbName,
          poolSize: opts.connections,
          ...(databaseTimeoutMS !== undefined ? { databaseTimeoutMS } : {}),
          ...(opts.cpuProfDir ? { cpuProfDir: opts.cpuProfDir } : {}),
        };
        const child = await ServerChild.start(id, config);
        cleanups.push(() => child.stop());
        started.set(id, child);
        log(`[bench] ${id} listening on ${child.url}`);
      } catch (error) {
        const reason = `did not start: ${firstLines(error)}`;
        started.set(id, reason);
        log(`[bench] SKIPPING ${id}: ${reason}`);
      }
    }),
  );
  return started;
}

async function runScenario(
  id: ScenarioId,
  opts: BenchOptions,
  running: ServerChild[],
  fixture: Fixture,
  db: ReturnType<MongoClient['db']>,
): Promise<ScenarioReport> {
  const scenario = scenarios[id];
  const afterRun = id === 'create' ? () => removeCreated(db).then(() => undefined) : async () => undefined;
  const report: ScenarioReport = { id, title: scenario.title, requests: {}, cells: {}, ratios: {} };
  const calls = (child: ServerChild) => (i: number) => dialects[child.id].call(id, i, fixture);

  // Check one response of each contender; only those answering correctly are measured.
  const measured: ServerChild[] = [];
  for (const child of running) {
    // No equivalent in this contender (e.g. the peer never checks references): not measured, not shown.
    if (dialects[child.id].unsupported?.has(id)) continue;
    const call = calls(child)(0);
    report.requests[child.id] = `${call.method} ${call.path}`;
    const answer = await probe(child.url, call).catch((error: unknown) => ({ status: 0, body: firstLines(error) }));
    const problem =
      answer.status !== scenario.status
        ? `answered ${answer.status} (expected ${scenario.status}): ${JSON.stringify(answer.body).slice(0, 300)}`
        : scenario.check(answer.body, call, dialects[child.id]);
    if (problem) {
      log(`[bench] ${id}: SKIPPING ${child.id}: ${problem}`);
      report.cells[child.id] = { status: 'skipped', reason: problem };
    } else {
      measured.push(child);
    }
  }
  await afterRun();

  const load = async (child: ServerChild, length: RunLength) => {
    const result = await runLoad(child, { connections: opts.connections, length, call: calls(child), expectedStatus: scenario.status });
    if (!result.drained) log(`[bench] ${id}: ${child.id} was still busy 30 s after a run`);
    await afterRun();
    return result;
  };
  const warmup = warmupLength(opts);
  const warmups = new Map<ContenderId, LoadResult>();
  if ('requests' in warmup || warmup.seconds > 0) {
    // Warmed up in interleaved pieces (A/B/C, A/B/C, …) like the rounds, so each contender's last piece
    // runs just before the first round's cycle: warmed one after the other, the first contender idled for
    // the others' whole warm-ups (minutes) before its first round, and the first rounds cost up to 1.7x the
    // CPU per request of the later ones (docs/performance.md, "Warm-up in pieces").
    const pieces = new Map<ContenderId, LoadResult[]>(measured.map((child) => [child.id, []]));
    for (const piece of splitLength(warmup, warmupPieces)) {
      for (const child of measured) pieces.get(child.id)!.push(await load(child, piece));
    }
    for (const [id, runs] of pieces) warmups.set(id, combineLoads(runs));
  }
  const round = roundLength(opts);
  const rounds = new Map<ContenderId, LoadResult[]>(measured.map((child) => [child.id, []]));
  for (let i = 0; i < opts.rounds; i++) {
    for (const child of measured) {
      rounds.get(child.id)!.push(await load(child, round));
    }
  }
  for (const child of measured) {
    const results = rounds.get(child.id)!;
    const warmed = warmups.get(child.id);
    report.cells[child.id] = { status: 'measured', summary: summarize(results), rounds: results, ...(warmed ? { warmup: warmed } : {}) };
  }
  report.ratios = ratios(report.cells);
  const line = measured.map((child) => `${child.id} ${Math.round(summarize(rounds.get(child.id)!).rps)} req/s`);
  log(`[bench] ${scenario.title}: ${line.join(', ')}`);
  return report;
}
