/** Command-line options of `npm run bench`. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunLength } from './load.js';
import { contenderIds, scenarioIds, type ContenderId, type ScenarioId } from './types.js';

export interface BenchOptions {
  quick: boolean;
  /** Warm-ups and rounds counted in requests, capped in seconds (defaults for the four options below). */
  steady: boolean;
  /** The depth-and-scale run (bench/scale.ts) instead of the contender matrix. */
  scale: boolean;
  /** `--scale`: the depth of the deep page (default half of `docs`). */
  depth?: number;
  /** Posts seeded (users: one per 100 posts, at least 20). */
  docs: number;
  /** Measured rounds per contender and scenario; the median is reported. */
  rounds: number;
  /** Seconds per measured round. */
  duration: number;
  /** Seconds of unmeasured load per contender and scenario before its first round. */
  warmup: number;
  /**
   * When set, the warm-up is this many requests instead of `warmup` seconds: enough for V8 to have
   * compiled the scenario's code, whatever the scenario's speed (docs/performance.md, "Warm-up and the JIT").
   */
  warmupRequests?: number;
  /** When set, each measured round is this many requests instead of `duration` seconds. */
  roundRequests?: number;
  /** With `warmupRequests`: the warm-up also stops after this many seconds (a slow scenario gets fewer requests). */
  maxWarmup?: number;
  /** With `roundRequests`: a round also stops after this many seconds. */
  maxRound?: number;
  /** Concurrent HTTP connections of the load generator. */
  connections: number;
  contenders: ContenderId[];
  scenarios: ScenarioId[];
  /** Where the JSON result is written (a file name is generated when this is a folder). */
  outDir: string;
  /** When set, every server child runs with `node --cpu-prof` and writes its profiles into `<DIR>/<contender>/` (the largest file is the server's). */
  cpuProfDir?: string;
}

const usage = `usage: npm run bench -- [--quick] [--docs=N] [--rounds=N] [--duration=S] [--warmup=S]
                       [--connections=N] [--contenders=a,b] [--scenarios=a,b] [--out=DIR]
                       [--steady] [--warmup-requests=N] [--round-requests=N] [--max-warmup=S]
                       [--max-round=S] [--cpu-prof=DIR]
       npm run bench -- --scale [--quick] [--docs=N] [--depth=N] [--rounds=N] [--out=DIR] [--cpu-prof=DIR]
  contenders: ${contenderIds.join(', ')}
  scenarios:  ${scenarioIds.join(', ')}`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      depth: { type: 'string' },
      docs: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-requests': { type: 'string' },
      'round-requests': { type: 'string' },
      'max-warmup': { type: 'string' },
      'max-round': { type: 'string' },
      steady: { type: 'boolean', default: false },
      connections: { type: 'string' },
      contenders: { type: 'string' },
      scenarios: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const scale = values.scale ?? false;
  const docs = positiveInt('docs', values.docs, scale ? (quick ? 20_000 : 100_000) : quick ? 2_000 : 10_000);
  // --steady: warm-ups and rounds counted in requests, capped in seconds (docs/performance.md, "Warm-up and the JIT").
  const steady = values.steady ?? false;
  if (steady && (scale || quick)) fail('--steady measures the contender matrix at length: not with --scale or --quick');
  const warmupRequests = optionalPositiveInt('warmup-requests', values['warmup-requests'], steady ? 6_000 : undefined);
  const roundRequests = optionalPositiveInt('round-requests', values['round-requests'], steady ? 1_000 : undefined);
  const maxWarmup = optionalPositiveNumber('max-warmup', values['max-warmup'], steady ? 60 : undefined);
  const maxRound = optionalPositiveNumber('max-round', values['max-round'], steady ? 10 : undefined);
  if (maxWarmup !== undefined && warmupRequests === undefined) fail('--max-warmup needs --warmup-requests (or --steady)');
  if (maxRound !== undefined && roundRequests === undefined) fail('--max-round needs --round-requests (or --steady)');
  const depth = values.depth === undefined ? undefined : positiveInt('depth', values.depth, 1);
  if (depth !== undefined && depth >= docs) fail('--depth must be below --docs');
  return {
    quick,
    steady,
    scale,
    ...(depth !== undefined ? { depth } : {}),
    docs,
    rounds: positiveInt('rounds', values.rounds, scale ? (quick ? 5 : 20) : steady ? 7 : quick ? 3 : 5),
    duration: positiveNumber('duration', values.duration, quick ? 0.8 : 3),
    warmup: nonNegativeNumber('warmup', values.warmup, quick ? 0.3 : 2),
    ...(warmupRequests !== undefined ? { warmupRequests } : {}),
    ...(roundRequests !== undefined ? { roundRequests } : {}),
    ...(maxWarmup !== undefined ? { maxWarmup } : {}),
    ...(maxRound !== undefined ? { maxRound } : {}),
    connections: positiveInt('connections', values.connections, 10),
    contenders: pick('contenders', values.contenders, contenderIds),
    scenarios: pick('scenarios', values.scenarios, scenarioIds),
    outDir: values.out ?? new URL('./results/', import.meta.url).pathname,
    ...(values['cpu-prof'] ? { cpuProfDir: path.resolve(values['cpu-prof']) } : {}),
  };
}

/** Interleaved pieces each contender's warm-up is run in (bench/run.ts's runScenario says why). */
export const warmupPieces = 3;

/** Each contender's warm-up per scenario, as the options give it (in total, over its pieces). */
export function warmupLength(o: BenchOptions): RunLength {
  return lengthOf(o.warmup, o.warmupRequests, o.maxWarmup);
}

/** Each measured round, as the options give it. */
export function roundLength(o: BenchOptions): RunLength {
  return lengthOf(o.duration, o.roundRequests, o.maxRound);
}

function lengthOf(seconds: number, requests: number | undefined, maxSeconds: number | undefined): RunLength {
  if (requests === undefined) return { seconds };
  return maxSeconds === undefined ? { requests } : { requests, maxSeconds };
}

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value <= 0) fail(`--${name} must be a positive integer (got "${raw}")`);
  return value;
}

function optionalPositiveInt(name: string, raw: string | undefined, fallback: number | undefined): number | undefined {
  return raw === undefined ? fallback : positiveInt(name, raw, 1);
}

function optionalPositiveNumber(name: string, raw: string | undefined, fallback: number | undefined): number | undefined {
  return raw === undefined ? fallback : positiveNumber(name, raw, 1);
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  const value = nonNegativeNumber(name, raw, fallback);
  if (value === 0) fail(`--${name} must be positive`);
  return value;
}

function nonNegativeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) fail(`--${name} must be a non-negative number (got "${raw}")`);
  return value;
}

function pick<T extends string>(name: string, raw: string | undefined, all: readonly T[]): T[] {
  if (raw === undefined) return [...all];
  const wanted = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = wanted.filter((part) => !(all as readonly string[]).includes(part));
  if (unknown.length > 0 || wanted.length === 0) fail(`--${name}: unknown ${unknown.join(', ') || '(empty)'}`);
  // Keep the canonical order whatever order was given.
  return all.filter((item) => wanted.includes(item));
}
