/**
 * Docs that compile: every ```ts block of README.md and docs/*.md is type-checked, strictly, against the
 * package (`koa-mongorest` resolves to lib/index.ts), each block as a module of its own.
 *
 * Conventions (also in docs/decisions.md):
 *  - `<!-- fragment -->` on the line before the fence: the block is not compiled (keep these rare);
 *  - `<!-- continues -->` on the line before the fence: the block is compiled appended to the previous
 *    ```ts block of the same page (it uses that block's imports and names);
 *  - names a block uses without defining them must be declared in test/fixtures/docs-prelude.ts
 *    (`Post`, `PostResource`, `app`, `api`, …).
 * No files are written: the blocks are virtual files next to the page they come from.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import ts from 'typescript';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prelude = path.join(repoRoot, 'test', 'fixtures', 'docs-prelude.ts');

interface Snippet {
  /** Virtual file name, e.g. docs/views.md.1.ts. */
  file: string;
  page: string;
  text: string;
  /** For each line of `text`, its line number in the page (1-based). */
  lines: number[];
}

const fence = /^```(\S*)\s*$/;

/** The compiled ```ts blocks of one page (fragments skipped, continuations merged). */
export function snippetsOf(page: string, markdown: string): { snippets: Snippet[]; fragments: number } {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let fragments = 0;
  let previousMark = '';
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') previousMark = lines[i]!.trim();
      continue;
    }
    const start = i;
    let end = start + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    i = end;
    const mark = previousMark;
    previousMark = '';
    if (open[1] !== 'ts' && open[1] !== 'typescript') continue;
    if (mark === '<!-- fragment -->') {
      fragments++;
      continue;
    }
    const body = lines.slice(start + 1, end);
    const numbers = body.map((_, k) => start + 2 + k);
    const last = snippets.at(-1);
    if (mark === '<!-- continues -->') {
      if (!last) throw new Error(`${page}:${start + 1}: "<!-- continues -->" but no earlier ts block on the page`);
      last.text += `\n${body.join('\n')}`;
      last.lines.push(...numbers);
      continue;
    }
    snippets.push({ file: path.join(repoRoot, `${page}.${start + 1}.ts`), page, text: body.join('\n'), lines: numbers });
  }
  return { snippets, fragments };
}

async function allSnippets(): Promise<{ snippets: Snippet[]; fragments: number; pages: string[] }> {
  const pages = ['README.md', ...(await readdir(path.join(repoRoot, 'docs'))).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
  const snippets: Snippet[] = [];
  let fragments = 0;
  for (const page of pages) {
    const found = snippetsOf(page, await readFile(path.join(repoRoot, page), 'utf8'));
    snippets.push(...found.snippets);
    fragments += found.fragments;
  }
  return { snippets, fragments, pages };
}

/** The project's own strict settings, with `koa-mongorest` pointing at the sources. */
function compilerOptions(): ts.CompilerOptions {
  const configFile = path.join(repoRoot, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile) as { config: unknown };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot);
  return {
    ...parsed.options,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    baseUrl: repoRoot,
    paths: { 'koa-mongorest': ['./lib/index.ts'] },
  };
}

function typeCheck(snippets: Snippet[], { withPrelude = true } = {}): string[] {
  const options = compilerOptions();
  const virtual = new Map(snippets.map((snippet) => [snippet.file, snippet]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile: read } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name)?.text ?? read.call(host, name);
  host.getSourceFile = (name, languageVersion, onError, createNew) => {
    const snippet = virtual.get(name);
    if (snippet) return ts.createSourceFile(name, snippet.text, languageVersion, true);
    return getSourceFile.call(host, name, languageVersion, onError, createNew);
  };
  const program = ts.createProgram([...(withPrelude ? [prelude] : []), ...virtual.keys()], options, host);
  const problems: string[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    const file = diagnostic.file;
    const snippet = file ? virtual.get(file.fileName) : undefined;
    if (file && snippet && diagnostic.start !== undefined) {
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
      problems.push(`${snippet.page}:${snippet.lines[line] ?? '?'}: TS${diagnostic.code}: ${message}`);
    } else {
      problems.push(`${file ? path.relative(repoRoot, file.fileName) : '(options)'}: TS${diagnostic.code}: ${message}`);
    }
  }
  return problems;
}

test('every ts block of README.md and docs/*.md type-checks strictly against the package', async (t) => {
  t.timeout(300_000, 'type-checking the docs (one TypeScript program; slow on a loaded machine)');
  const { snippets, fragments, pages } = await allSnippets();
  t.true(snippets.length >= 10, `found ${snippets.length} ts blocks in ${pages.length} pages`);
  t.log(`${snippets.length} blocks compiled, ${fragments} marked as fragments`);
  t.deepEqual(typeCheck(snippets), []);
});

test('a block with a type error fails, naming the page and line; fragments are skipped', (t) => {
  const page = 'docs/example.md';
  const markdown = [
    'Text.',
    '```ts',
    "const n: number = 'one';",
    '```',
    '<!-- continues -->',
    '```ts',
    'const s: string = n;',
    '```',
    '<!-- fragment -->',
    '```ts',
    'this is not TypeScript',
    '```',
  ].join('\n');
  const { snippets, fragments } = snippetsOf(page, markdown);
  t.is(snippets.length, 1);
  t.is(fragments, 1);
  const problems = typeCheck(snippets, { withPrelude: false });
  t.is(problems.length, 2, problems.join('\n'));
  t.regex(problems[0]!, /^docs\/example\.md:3: TS2322: /);
  t.regex(problems[1]!, /^docs\/example\.md:7: TS2322: /);
});
