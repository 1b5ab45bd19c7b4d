/**
 * `node --import tsx bench/typecheck-scale.ts [--resources=200] [--runs=3] [--keep]`: what typed
 * resources cost the type-checker. Generates an app of N models (each with scalars, a reference, a
 * sub-document, a document array, a nested object and an array) and N typed resources and views
 * (`Resource<typeof Model, XResource>` with fields, a computed field, renames, filters on dotted paths,
 * ordering, a related resource) into a temporary folder, plus the same app untyped (`extends Resource`)
 * for comparison, and type-checks each with `tsc --extendedDiagnostics` against the built declarations
 * (dist/, as an installed package is seen; run `npm run build` first). Prints the best of `runs` for
 * check time, total time, instantiations and memory. See docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key!, value ?? 'true'] as const;
  }),
);
const count = Number(args.get('resources') ?? 200);
const runs = Number(args.get('runs') ?? 3);
const keep = args.has('keep');
/** `declared` (default): models come typed from a .d.ts, as from a compiled models package, so the time is the resources'; `inferred`: the app's own schemas, inferred by Mongoose (which then dominates). */
const declared = (args.get('models') ?? 'declared') === 'declared';
/** The package's declarations the app compiles against (`--dist=DIR` to measure another build). */
const dist = resolve(args.get('dist') ?? join(root, 'dist'));

if (!existsSync(join(dist, 'index.d.ts'))) {
  console.error(`${dist}/index.d.ts is missing: run \`npm run build\` first.`);
  process.exit(1);
}

/**
 * The models as a compiled models package declares them (`models.d.ts`): the raw document types
 * `InferSchemaType` would give for the schemas of `inferredModelsSource`, without inferring them again.
 */
function declaredModelsSource(): string {
  const lines = [
    `import type { Model, Types } from 'mongoose';`,
    `interface Address { street?: string | null; city: string; zip?: string | null }`,
    `interface Note { text: string; votes: number; at?: Date | null }`,
    `interface Meta { source?: string | null; origin?: { site?: string | null; page?: number | null } | null }`,
  ];
  for (let i = 0; i < count; i++) {
    lines.push(
      `export interface Raw${i} { title${i}: string; body?: string | null; score?: number | null; published?: boolean | null; created?: Date | null; ` +
        `tags: string[]; owner?: Types.ObjectId | null; address?: Address | null; notes: Types.DocumentArray<Note>; meta?: Meta | null; createdAt: Date; updatedAt: Date }`,
      `export declare const M${i}: Model<Raw${i}>;`,
    );
  }
  return lines.join('\n') + '\n';
}

/** One model module: N schemas of the same shape with distinct names, their types inferred by Mongoose. */
function inferredModelsSource(): string {
  const lines = [
    `import mongoose from 'mongoose';`,
    `const { ObjectId } = mongoose.Schema.Types;`,
    `const address = new mongoose.Schema({ street: String, city: { type: String, required: true }, zip: String }, { _id: false });`,
    `const note = new mongoose.Schema({ text: { type: String, required: true }, votes: { type: Number, default: 0 }, at: Date });`,
  ];
  for (let i = 0; i < count; i++) {
    lines.push(
      `export const M${i} = mongoose.model('M${i}', new mongoose.Schema({`,
      `  title${i}: { type: String, required: true }, body: String, score: Number, published: Boolean, created: Date,`,
      `  tags: [String], owner: { type: ObjectId, ref: 'M${Math.max(0, i - 1)}' },`,
      `  address, notes: [note], meta: { source: String, origin: { site: String, page: Number } },`,
      `}, { timestamps: true }));`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The resources and views; `typed` chooses `Resource<typeof M, R>` or plain `Resource`. */
function appSource(typed: boolean): string {
  const lines = [
    `import Koa from 'koa';`,
    `import { MongoRest, Resource, ResourceView, methods, ops, type DocumentOf, type PlainDocument, type RequestContext } from 'koa-mongorest';`,
    `import * as models from './models.js';`,
    `export const api = new MongoRest({ prefix: '/api' });`,
  ];
  const asConst = typed ? ' as const' : '';
  for (let i = 0; i < count; i++) {
    const base = typed ? `Resource<typeof models.M${i}, R${i}>` : 'Resource';
    const related = i === 0 ? '' : `  relatedResources = { owner: R${i - 1} };\n`;
    lines.push(
      `export class R${i} extends ${base} {`,
      `  document = models.M${i};`,
      `  fields = ['id', 'title${i}', 'body', 'score', 'published', 'created', 'owner', 'address', 'notes', 'summary'] as const;`.replace(' as const', asConst),
      `  optionalFields = ['meta', 'tags', 'createdAt'] as const;`.replace(' as const', asConst),
      `  renameFields = { title${i}: 'title', published: 'is_published' } as const;`.replace(' as const', asConst),
      related.trimEnd(),
      `  filters = { title: [ops.Exact, ops.IContains], is_published: [ops.Boolean], score: [ops.Gte, ops.Lt], 'address.city': [ops.Exact], 'notes.votes': [ops.Gt], 'meta.origin.site': [ops.Exact], tags: [ops.In] };`,
      `  allowedOrdering = ['title', 'score', 'created', 'address.city'] as const;`.replace(' as const', asConst),
      `  summary(doc: PlainDocument): string { return String(doc.body ?? '').slice(0, 40); }`,
      `}`,
      typed ? `export class V${i} extends ResourceView<R${i}> {` : `export class V${i} extends ResourceView {`,
      `  resource = R${i};`,
      `  methods = [methods.List, methods.Fetch, methods.Create, methods.Update];`,
      typed
        ? `  override hasChangePermission(ctx: RequestContext, doc: DocumentOf<typeof models.M${i}>) { return doc.title${i} !== '' && ctx.method === 'PUT'; }`
        : `  override hasChangePermission(ctx: RequestContext) { return ctx.method === 'PUT'; }`,
      `}`,
      `api.register(V${i}, { url: '/r${i}/' });`,
    );
  }
  lines.push(`export const app = new Koa().use(api.routes());`);
  return lines.filter((line) => line !== '').join('\n') + '\n';
}

function writeApp(dir: string, typed: boolean): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, declared ? 'models.d.ts' : 'models.ts'), declared ? declaredModelsSource() : inferredModelsSource());
  writeFileSync(join(dir, 'app.ts'), appSource(typed));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        verbatimModuleSyntax: true,
        types: ['node'],
        paths: { 'koa-mongorest': [join(dist, 'index.d.ts')] },
      },
      files: [declared ? 'models.d.ts' : 'models.ts', 'app.ts'],
    }),
  );
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

interface Diagnostics {
  checkTime: number;
  totalTime: number;
  /** User + system CPU seconds of the tsc process. */
  cpuTime: number;
  instantiations: number;
  memoryKB: number;
  types: number;
}

function typecheck(dir: string): Diagnostics {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  // bash's `times` adds the CPU time of the tsc process: on a shared machine the wall-clock timers tsc
  // prints grow with the load, its CPU time much less.
  const script = `"$0" "$1" -p "$2" --extendedDiagnostics; status=$?; times; exit $status`;
  let output: string;
  try {
    output = execFileSync('bash', ['-c', script, process.execPath, tsc, join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`the generated app does not type-check:\n${out.split("\n").slice(0, 30).join("\n")}`, { cause: error });
  }
  const value = (label: string) => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
    if (!match) throw new Error(`tsc printed no "${label}"`);
    return Number(match[1]);
  };
  // `times` prints the shell's own user/sys, then its children's: "0m20.130s 0m1.020s".
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/gm;
  const rows = [...output.matchAll(children)];
  const last = rows.at(-1);
  const cpuTime = last ? Number(last[1]) * 60 + Number(last[2]) + Number(last[3]) * 60 + Number(last[4]) : Number.NaN;
  return {
    checkTime: value('Check time'),
    totalTime: value('Total time'),
    cpuTime,
    instantiations: value('Instantiations'),
    memoryKB: value('Memory used'),
    types: value('Types'),
  };
}

const best = (samples: Diagnostics[]): Diagnostics => ({
  checkTime: Math.min(...samples.map((s) => s.checkTime)),
  totalTime: Math.min(...samples.map((s) => s.totalTime)),
  cpuTime: Math.min(...samples.map((s) => s.cpuTime)),
  instantiations: Math.min(...samples.map((s) => s.instantiations)),
  memoryKB: Math.min(...samples.map((s) => s.memoryKB)),
  types: Math.min(...samples.map((s) => s.types)),
});

const workDir = mkdtempSync(join(tmpdir(), 'koa-mongorest-typecheck-'));
try {
  const rows: [string, Diagnostics][] = [];
  for (const typed of [true, false]) {
    const dir = join(workDir, typed ? 'typed' : 'untyped');
    writeApp(dir, typed);
    const samples: Diagnostics[] = [];
    for (let run = 1; run <= runs; run++) {
      const sample = typecheck(dir);
      console.error(
        `${typed ? 'typed  ' : 'untyped'} run ${run}/${runs}: check ${sample.checkTime.toFixed(2)} s, total ${sample.totalTime.toFixed(2)} s, CPU ${sample.cpuTime.toFixed(2)} s`,
      );
      samples.push(sample);
    }
    rows.push([typed ? `typed (\`Resource<typeof M, R>\`, \`ResourceView<R>\`)` : 'untyped (`extends Resource`)', best(samples)]);
  }
  console.log(`\n${count} resources, best of ${runs} (tsc ${execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-v'], { encoding: 'utf8' }).trim()}, node ${process.version}):\n`);
  console.log('| app | check time | total time | tsc CPU time | instantiations | types | memory |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [label, d] of rows) {
    console.log(
      `| ${label} | ${d.checkTime.toFixed(2)} s | ${d.totalTime.toFixed(2)} s | ${d.cpuTime.toFixed(2)} s | ${d.instantiations.toLocaleString('en')} | ${d.types.toLocaleString('en')} | ${Math.round(d.memoryKB / 1024)} MB |`,
    );
  }
  if (keep) console.log(`\nthe generated apps are in ${workDir}`);
} finally {
  if (!keep) rmSync(workDir, { recursive: true, force: true });
}
