/**
 * `node --import tsx bench/body-checks.ts`: the CPU cost of the body checks that read the JSON text
 * (write/json-numbers.ts), next to JSON.parse of the same text, for small bodies, a 1 MB string, 1 MB of
 * small integers and the worst case, 1 MB of 17-digit floats (every token takes the slow path).
 * Prints milliseconds per body (mean of N runs after a warm-up).
 */
import { inexactNumbers } from '../lib/write/json-numbers.js';

const cases: [string, string, number][] = [
  ['small body', JSON.stringify({ title: 'hello', views: 3, tags: ['a', 'b'] }), 100_000],
  ['1 MB string', JSON.stringify({ text: 'x'.repeat(1024 * 1024) }), 50],
  ['1 MB of small integers', JSON.stringify({ scores: Array.from({ length: 200_000 }, (_, i) => i % 1000) }), 50],
  ['1 MB of 17-digit floats', JSON.stringify({ scores: Array.from({ length: 50_000 }, (_, i) => 0.1 + i / 3) }), 20],
];

function msPerRun(runs: number, work: () => unknown): number {
  for (let i = 0; i < Math.min(runs, 5); i++) work();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) work();
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

for (const [name, text, runs] of cases) {
  const scan = msPerRun(runs, () => inexactNumbers(text));
  const parse = msPerRun(runs, () => JSON.parse(text));
  process.stdout.write(`${name.padEnd(26)} ${String(text.length).padStart(8)} chars  number scan ${scan.toFixed(4)} ms  JSON.parse ${parse.toFixed(4)} ms\n`);
}
