/**
 * Reads several `npm run bench` results (bench/results/*.json) of the same code and gives, per scenario,
 * koa-mongorest's CPU per request over the baseline's pooled over all their rounds: on a shared VM one
 * run's median moves by ±10 % (a slow stretch of the machine can fall on one contender's rounds), so a
 * target at the edge is read from the pooled rounds, with each run's own median beside them.
 *
 * A pair is round i of the baseline and round i of koa-mongorest of one run (run one after the other).
 * Printed: each run's ratio (its medians), the number of pairs, the median of the pairs' ratios with
 * its interquartile range, and the ratio of the pooled medians.
 *
 * `node --import tsx bench/pool.ts bench/results/<a>.json bench/results/<b>.json …`
 */
import { readFile } from 'node:fs/promises';
import { median, type BenchReport } from './report.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/pool.ts <result.json> [<result.json> …]');
  process.exit(2);
}

interface Pool {
  runs: string[];
  pairs: number[];
  baseline: number[];
  library: number[];
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const pools = new Map<string, Pool>();
for (const file of files) {
  const report = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
  const label = `${report.startedAt.slice(11, 16)}${report.options.docs === 10_000 ? '' : ` (${report.options.docs} docs)`}`;
  for (const scenario of report.scenarios) {
    const base = scenario.cells.baseline;
    const lib = scenario.cells['koa-mongorest'];
    if (base?.status !== 'measured' || lib?.status !== 'measured') continue;
    const pool = pools.get(scenario.title) ?? { runs: [], pairs: [], baseline: [], library: [] };
    pools.set(scenario.title, pool);
    pool.runs.push(`${(lib.summary.serverCpuMicros / base.summary.serverCpuMicros).toFixed(2)} ${label}`);
    const count = Math.min(base.rounds.length, lib.rounds.length);
    for (let i = 0; i < count; i++) {
      const b = base.rounds[i]!.serverCpuMicros;
      const l = lib.rounds[i]!.serverCpuMicros;
      if (b > 0) pool.pairs.push(l / b);
      pool.baseline.push(b);
      pool.library.push(l);
    }
  }
}

for (const [title, pool] of pools) {
  const sorted = [...pool.pairs].sort((a, b) => a - b);
  console.log(
    `${title.padEnd(36)} pairs ${String(sorted.length).padStart(3)}  median ${median(sorted).toFixed(2)}x ` +
      `(IQR ${quantile(sorted, 0.25).toFixed(2)}-${quantile(sorted, 0.75).toFixed(2)})  pooled medians ` +
      `${(median(pool.library) / median(pool.baseline)).toFixed(2)}x  runs: ${pool.runs.join(', ')}`,
  );
}
