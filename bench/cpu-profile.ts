/**
 * Reads a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof=DIR`, or any `node --cpu-prof`) and prints
 * where the CPU went: time by area (this library, Mongoose, the driver, BSON, Koa, Node, GC, idle), the
 * functions with the most self time, and the library's functions by inclusive time (each sample counted
 * once per function on its stack).
 *
 * `node --import tsx bench/cpu-profile.ts <file.cpuprofile> [--top=N] [--filter=substring] [--from=S]`
 * (`--filter` keeps the samples whose stack contains a function whose name or file contains it, e.g.
 * `--filter=handlers/write.ts`; `--from=S` drops the first S seconds: the server's start-up, module
 * loading and compilation included).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, filter: { type: 'string' }, from: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node --import tsx bench/cpu-profile.ts <file.cpuprofile> [--top=N] [--filter=substring]');
  process.exit(2);
}
const top = Number(values.top ?? 30);
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const LIBRARY = 'koa-mongorest';

/** Where a function lives, as a short area name. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') return functionName;
    return '(native)';
  }
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModule) return nodeModule[1]!;
  if (url.startsWith('node:')) return 'node';
  // The library runs compiled (dist/) under the bench, from its sources (lib/) under tests and tsx.
  const repo = /\/(lib|dist|bench|test)\/(.*)$/.exec(url);
  if (repo) return repo[1] === 'lib' || repo[1] === 'dist' ? LIBRARY : `${repo[1]}/`;
  return url;
}

const shortUrl = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^.*\/(lib|dist|bench)\//, '$1/').replace(/^file:\/\//, '');
const keyOf = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;

const filter = values.filter;
const stackMatches = (leaf: number) => {
  if (!filter) return true;
  for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
    const frame = byId.get(id)!.callFrame;
    if (frame.url.includes(filter) || frame.functionName.includes(filter)) return true;
  }
  return false;
};

const selfByArea = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const inclusiveLibrary = new Map<string, number>();
let total = 0;
let busy = 0;
const fromMicros = Number(values.from ?? 0) * 1e6;
let clock = 0;
const add = (map: Map<string, number>, key: string, micros: number) => map.set(key, (map.get(key) ?? 0) + micros);
profile.samples.forEach((leaf, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  clock += micros;
  if (clock < fromMicros || !stackMatches(leaf)) return;
  total += micros;
  const frame = byId.get(leaf)!.callFrame;
  const area = areaOf(frame);
  add(selfByArea, area, micros);
  if (area === '(idle)') return;
  busy += micros;
  add(selfByFunction, keyOf(frame), micros);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
    const callFrame = byId.get(id)!.callFrame;
    if (areaOf(callFrame) !== LIBRARY) continue;
    const key = keyOf(callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    add(inclusiveLibrary, key, micros);
  }
});

const ms = (micros: number) => (micros / 1000).toFixed(0).padStart(7);
const share = (micros: number, of: number) => `${((micros / of) * 100).toFixed(1).padStart(5)} %`;
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);

console.log(`${file}${filter ? ` (stacks through "${filter}")` : ''}: ${ms(total).trim()} ms sampled, ${ms(busy).trim()} ms busy\n`);
console.log('self time by area (share of busy time):');
for (const [area, micros] of sorted(selfByArea)) console.log(`${ms(micros)} ms ${area === '(idle)' ? '        ' : share(micros, busy)}  ${area}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [key, micros] of sorted(selfByFunction).slice(0, top)) console.log(`${ms(micros)} ms ${share(micros, busy)}  ${key}`);
console.log(`\ntop ${top} library functions by inclusive time:`);
for (const [key, micros] of sorted(inclusiveLibrary).slice(0, top)) console.log(`${ms(micros)} ms ${share(micros, busy)}  ${key}`);
