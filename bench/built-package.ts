/**
 * The bench measures koa-mongorest as an app runs it: the compiled package (`dist/`), not the TypeScript sources through tsx, whose transform adds work of its own (esbuild's
 * `keepNames` wraps every named closure in a `__name` call: ~30 µs per expanded list request). This
 * refuses to measure a `dist/` older than the sources it was built from.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The URL of the package's entry point, `dist/index.js`. Imported by path rather than by the package's
 * name so that its types can come from the sources (`typeof import('../lib/index.js')`): type-checking
 * the bench never depends on a build.
 */
export const packageEntry = new URL('../dist/index.js', import.meta.url).href;

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Throws when `dist/` is missing or older than a file under `lib/` (`npm run build` first). */
export function assertPackageBuilt(): void {
  let built: number;
  try {
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  } catch {
    throw new Error('bench: dist/ is missing; run `npm run build` first (the bench measures the compiled package).');
  }
  if (newestSource(join(root, 'lib')) > built) {
    throw new Error('bench: dist/ is older than lib/; run `npm run build` first (the bench measures the compiled package).');
  }
}
