/** Aggregation (median of rounds, ratios), the printed tables, and the JSON written to bench/results/. */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeLength, type LoadResult } from './load.js';
import { roundLength, warmupLength, warmupPieces, type BenchOptions } from './options.js';
import type { ContenderId, MemorySample, ScenarioId } from './types.js';

const execFileAsync = promisify(execFile);

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface Summary {
  rps: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  /** Server CPU time per request (user + system), microseconds: the contender's own cost, database aside. */
  serverCpuMicros: number;
  /** Failed responses over all measured rounds (should be 0). */
  failures: number;
}

export type Cell =
  | { status: 'measured'; summary: Summary; rounds: LoadResult[]; /** The unmeasured warm-up run (absent without one). */ warmup?: LoadResult }
  | { status: 'skipped'; reason: string };

export interface ScenarioReport {
  id: ScenarioId;
  title: string;
  /** What each contender was asked, e.g. `GET /posts/?_limit=20` (the first request of a run). */
  requests: Partial<Record<ContenderId, string>>;
  cells: Partial<Record<ContenderId, Cell>>;
  /**
   * koa-mongorest against the others, absent when either side had failures. Throughput (req/s): > 1 means
   * koa-mongorest is faster. CPU per request (the headline): > 1 means koa-mongorest costs more.
   */
  ratios: {
    libraryVsBaseline?: number;
    libraryVsPeer?: number;
    cpuVsBaseline?: number;
    cpuVsPeer?: number;
    /**
     * The lowest and highest of the rounds' own CPU ratios (round i of koa-mongorest over round i of the
     * baseline; rounds are interleaved, so each pair ran at nearly the same time): how far the median
     * ratio can be read. Absent where `cpuVsBaseline` is.
     */
    cpuVsBaselineRounds?: { low: number; high: number };
  };
}

export interface ContenderReport {
  id: ContenderId;
  label: string;
  status: 'ran' | 'skipped';
  reason?: string;
  memory?: { before: MemorySample; after: MemorySample };
}

export interface BenchReport {
  startedAt: string;
  seconds: number;
  command: string;
  options: BenchOptions;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    platform: string;
    node: string;
    /** Share of all CPUs idle in the second before the run: other work on the machine skews the numbers. */
    idleBeforeStart: number;
    /** 1-minute load average when the run ended (includes the benchmark's own load). */
    loadAverageAtEnd: number;
  };
  database: {
    label: string;
    kind: string;
    posts: number;
    users: number;
    seedSeconds: number;
    /** koa-mongorest's `databaseTimeoutMS` when the run set it (absent: the library's default). */
    libraryDeadlineMS?: number;
  };
  versions: Record<string, string>;
  contenders: ContenderReport[];
  scenarios: ScenarioReport[];
}

/** The median, or NaN for no values. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of each metric across rounds (each metric on its own). */
export function summarize(rounds: LoadResult[]): Summary {
  // Latency and size exist only for rounds that received responses (a very slow scenario may have none).
  const answered = rounds.filter((round) => round.received > 0);
  return {
    rps: median(rounds.map((round) => round.rps)),
    p50: median(answered.map((round) => round.p50)),
    p99: median(answered.map((round) => round.p99)),
    bytesPerResponse: median(answered.map((round) => round.bytesPerResponse)),
    serverCpuMicros: median(rounds.map((round) => round.serverCpuMicros)),
    failures: rounds.reduce((sum, round) => sum + round.failures, 0),
  };
}

export function ratios(cells: ScenarioReport['cells']): ScenarioReport['ratios'] {
  // A contender answering errors (e.g. 503 past a deadline) can look fast: no ratio with failures.
  const clean = (id: ContenderId) => {
    const cell = cells[id];
    return cell?.status === 'measured' && cell.summary.rps > 0 && cell.summary.failures === 0 ? cell.summary : undefined;
  };
  const library = clean('koa-mongorest');
  const baseline = clean('baseline');
  const peer = clean('express-restify-mongoose');
  const cpu = (other: Summary | undefined) =>
    library && other && other.serverCpuMicros > 0 ? library.serverCpuMicros / other.serverCpuMicros : undefined;
  const cpuVsBaseline = cpu(baseline);
  const cpuVsPeer = cpu(peer);
  const cpuVsBaselineRounds = cpuVsBaseline === undefined ? undefined : pairedRange(cells.baseline, cells['koa-mongorest']);
  return {
    ...(library && baseline ? { libraryVsBaseline: library.rps / baseline.rps } : {}),
    ...(library && peer ? { libraryVsPeer: library.rps / peer.rps } : {}),
    ...(cpuVsBaseline !== undefined ? { cpuVsBaseline } : {}),
    ...(cpuVsPeer !== undefined ? { cpuVsPeer } : {}),
    ...(cpuVsBaselineRounds ? { cpuVsBaselineRounds } : {}),
  };
}

/** The range of `library`'s CPU per request over `other`'s, round by round (rounds paired by their index). */
function pairedRange(other: Cell | undefined, library: Cell | undefined): { low: number; high: number } | undefined {
  if (other?.status !== 'measured' || library?.status !== 'measured') return undefined;
  const pairs = Math.min(other.rounds.length, library.rounds.length);
  const values: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const base = other.rounds[i]!.serverCpuMicros;
    const lib = library.rounds[i]!.serverCpuMicros;
    if (base > 0 && Number.isFinite(lib)) values.push(lib / base);
  }
  return values.length === 0 ? undefined : { low: Math.min(...values), high: Math.max(...values) };
}

/**
 * What the reference check costs, per contender measured in both `create` (unchecked) and
 * `create-checked`: the difference in CPU per request and the ratio of throughputs.
 */
export function referenceCheckCost(report: BenchReport): { id: ContenderId; cpuMicros: number; cpuShare: number; rpsRatio: number }[] {
  const plain = report.scenarios.find((scenario) => scenario.id === 'create');
  const checked = report.scenarios.find((scenario) => scenario.id === 'create-checked');
  if (!plain || !checked) return [];
  const out = [];
  for (const contender of report.contenders) {
    const a = plain.cells[contender.id];
    const b = checked.cells[contender.id];
    if (a?.status !== 'measured' || b?.status !== 'measured' || a.summary.serverCpuMicros <= 0 || a.summary.rps <= 0) continue;
    out.push({
      id: contender.id,
      cpuMicros: b.summary.serverCpuMicros - a.summary.serverCpuMicros,
      cpuShare: b.summary.serverCpuMicros / a.summary.serverCpuMicros - 1,
      rpsRatio: b.summary.rps / a.summary.rps,
    });
  }
  return out;
}

/** Lines under the results table: what the ratio columns mean and the reference check's cost. */
export function notes(report: BenchReport): string {
  const lines = [
    'CPU lib/base, CPU lib/peer: koa-mongorest\'s server CPU per request over the other\'s (lower is better; the headline).',
    'rounds: the lowest and highest CPU lib/base of single rounds (round i of each, run one after the other): the spread to read the median by.',
    'req lib/base, req lib/peer: koa-mongorest\'s req/s over the other\'s (higher is better).',
  ];
  lines.push(...warmupNotes(report));
  for (const cost of referenceCheckCost(report)) {
    const sign = cost.cpuMicros >= 0 ? '+' : '';
    lines.push(
      `reference check (create-checked vs create), ${cost.id}: ${sign}${cost.cpuMicros.toFixed(0)} CPU us/req ` +
        `(${sign}${(cost.cpuShare * 100).toFixed(0)} %), throughput x${cost.rpsRatio.toFixed(2)}`,
    );
  }
  return lines.join('\n');
}

/**
 * What the warm-up leaves in the rounds: a timed warm-up ends while V8 is still compiling; a counted one
 * that its time limit stopped short is named with how far each contender got.
 */
function warmupNotes(report: BenchReport): string[] {
  const warmup = warmupLength(report.options);
  if (!('requests' in warmup)) {
    return [
      'warm-up in seconds: these rounds still include V8 compiling each scenario\'s code, which costs the library (more code) ' +
        'more than the baseline; --steady measures after it (docs/performance.md, "Warm-up and the JIT").',
    ];
  }
  return report.scenarios.flatMap((scenario) => {
    const short = Object.entries(scenario.cells).flatMap(([id, cell]) =>
      cell?.status === 'measured' && cell.warmup && cell.warmup.sent < warmup.requests ? [`${id} ${cell.warmup.sent}`] : [],
    );
    return short.length === 0
      ? []
      : [`${scenario.title}: warm-up stopped by --max-warmup short of ${warmup.requests} requests (${short.join(', ')}); its rounds may still include compilation.`];
  });
}

/** Share of CPU time (all CPUs) spent idle over the next `ms` milliseconds. */
export async function machineIdleShare(ms: number): Promise<number> {
  const sample = () =>
    os.cpus().reduce(
      (sum, cpu) => {
        const { user, nice, sys, idle, irq } = cpu.times;
        return { idle: sum.idle + idle, total: sum.total + user + nice + sys + idle + irq };
      },
      { idle: 0, total: 0 },
    );
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : 1;
}

export function machine(idleBeforeStart: number): BenchReport['machine'] {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    idleBeforeStart,
    loadAverageAtEnd: os.loadavg()[0]!,
  };
}

/** Installed versions of the packages that matter, read from node_modules (and this package's own). */
export async function versions(packages: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const read = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
  out['koa-mongorest'] = `${await read(path.join(repoRoot, 'package.json'))} (${await checkout()})`;
  for (const name of [...new Set(packages)].sort()) {
    out[name] = await read(path.join(repoRoot, 'node_modules', name, 'package.json')).catch(() => 'not installed');
  }
  return out;
}

/**
 * The commit the run measured, and whether `lib/` or `bench/` differed from it (numbers are recorded with
 * the commit they were taken at); `working tree` where git cannot say.
 */
async function checkout(): Promise<string> {
  try {
    const git = (...args: string[]) => execFileAsync('git', args, { cwd: repoRoot }).then(({ stdout }) => stdout.trim());
    const [commit, changes] = await Promise.all([git('rev-parse', '--short', 'HEAD'), git('status', '--porcelain', '--', 'lib', 'bench')]);
    return changes === '' ? `at ${commit}` : `at ${commit}, lib/ or bench/ modified`;
  } catch {
    return 'working tree';
  }
}

// ---- rendering ----------------------------------------------------------------------------------------

interface Column {
  title: string;
  align: 'left' | 'right';
}

function renderTable(columns: Column[], rows: string[][], markdown: boolean): string {
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const rule = columns.map((column) => (column.align === 'right' ? '---:' : '---'));
    return [line(columns.map((column) => column.title)), line(rule), ...rows.map(line)].join('\n');
  }
  const widths = columns.map((column, i) => Math.max(column.title.length, ...rows.map((row) => row[i]!.length)));
  const pad = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [pad(columns.map((column) => column.title)), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(pad)].join(
    '\n',
  );
}

// Not finite: no data (NaN in memory, null once read back from JSON).
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const kb = (bytes: number) => fixed(Number.isFinite(bytes) ? bytes / 1024 : Number.NaN, 1);
const ratio = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}x`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export function resultsTable(report: BenchReport, markdown = false): string {
  // CPU per request first: on a machine where the database is the bottleneck it is what shows a
  // contender's own cost (and what decides throughput on a fast database).
  const columns: Column[] = [
    { title: 'scenario', align: 'left' },
    { title: 'contender', align: 'left' },
    { title: 'CPU us/req', align: 'right' },
    { title: 'CPU lib/base', align: 'right' },
    { title: 'rounds', align: 'right' },
    { title: 'CPU lib/peer', align: 'right' },
    { title: 'req/s', align: 'right' },
    { title: 'req lib/base', align: 'right' },
    { title: 'req lib/peer', align: 'right' },
    { title: 'p50 ms', align: 'right' },
    { title: 'p99 ms', align: 'right' },
    { title: 'KB/resp', align: 'right' },
    { title: 'failed', align: 'right' },
  ];
  const rows: string[][] = [];
  for (const scenario of report.scenarios) {
    let first = true;
    for (const contender of report.contenders) {
      const cell = scenario.cells[contender.id];
      if (!cell) continue;
      const title = first ? scenario.title : '';
      first = false;
      if (cell.status === 'skipped') {
        rows.push([title, contender.id, 'skipped', ...columns.slice(3).map(() => '')]);
        continue;
      }
      const { summary } = cell;
      const isLibrary = contender.id === 'koa-mongorest';
      const { ratios: r } = scenario;
      rows.push([
        title,
        contender.id,
        fixed(summary.serverCpuMicros, 0),
        isLibrary ? ratio(r.cpuVsBaseline) : '',
        isLibrary && r.cpuVsBaselineRounds ? `${r.cpuVsBaselineRounds.low.toFixed(2)}-${r.cpuVsBaselineRounds.high.toFixed(2)}` : '',
        isLibrary ? ratio(r.cpuVsPeer) : '',
        fixed(summary.rps, summary.rps < 100 ? 1 : 0),
        isLibrary ? ratio(r.libraryVsBaseline) : '',
        isLibrary ? ratio(r.libraryVsPeer) : '',
        fixed(summary.p50, 1),
        fixed(summary.p99, 1),
        kb(summary.bytesPerResponse),
        String(summary.failures),
      ]);
    }
  }
  return renderTable(columns, rows, markdown);
}

export function memoryTable(report: BenchReport, markdown = false): string {
  const columns: Column[] = [
    { title: 'contender', align: 'left' },
    { title: 'RSS before MiB', align: 'right' },
    { title: 'RSS after MiB', align: 'right' },
    { title: 'peak RSS MiB', align: 'right' },
    { title: 'heap before MiB', align: 'right' },
    { title: 'heap after MiB', align: 'right' },
  ];
  const rows = report.contenders.map((contender) => {
    const memory = contender.memory;
    if (!memory) return [contender.id, 'skipped', '', '', '', ''];
    return [
      contender.id,
      mib(memory.before.rss),
      mib(memory.after.rss),
      mib(memory.after.maxRss),
      mib(memory.before.heapUsed),
      mib(memory.after.heapUsed),
    ];
  });
  return renderTable(columns, rows, markdown);
}

export function describeRun(report: BenchReport): string {
  const { options: o, machine: m, database: d } = report;
  return [
    `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; ` +
      `${Math.round(m.idleBeforeStart * 100)} % idle before start`,
    `database: ${d.label}; ${d.posts} posts + ${d.users} users seeded in ${d.seedSeconds.toFixed(1)} s` +
      (d.libraryDeadlineMS !== undefined ? `; koa-mongorest's databaseTimeoutMS ${d.libraryDeadlineMS / 1000} s` : ''),
    `load: autocannon, ${o.connections} connections, ${o.rounds} rounds x ${describeLength(roundLength(o))} per contender and ` +
      `scenario after ${describeLength(warmupLength(o))} of warm-up (in ${warmupPieces} interleaved pieces), rounds interleaved; medians shown${o.steady ? ' (--steady)' : ''}`,
  ].join('\n');
}

/** Writes `<dir>/<timestamp>.json` and a Markdown rendering beside it; returns the JSON path. */
export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = path.join(dir, `${stamp}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = [
    `# Benchmark ${report.startedAt}`,
    '',
    '```',
    report.command,
    describeRun(report),
    '```',
    '',
    resultsTable(report, true),
    '',
    ...notes(report).split('\n').map((line) => `- ${line}`),
    '',
    memoryTable(report, true),
    '',
  ].join('\n');
  await writeFile(path.join(dir, `${stamp}.md`), markdown);
  return file;
}
