// Checks an unpacked package (the directory given): only what belongs is shipped, and every source map
// names sources that are in the package (stack traces and "go to definition" land on real files).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
const files = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)).split(path.sep).join('/'));
const allowed = /^(package\.json|README\.md|LICENSE|AUTHORS|docs\/[\w.-]+\.md|lib\/[\w/.-]+\.ts|dist\/[\w/.-]+\.(js|d\.ts|js\.map|d\.ts\.map))$/;
const stray = files.filter((file) => !allowed.test(file));
if (stray.length > 0) throw new Error(`the package contains files that do not belong: ${stray.join(', ')}`);
const shipped = new Set(files);
const maps = files.filter((file) => file.endsWith('.map'));
for (const file of maps) {
  const { sources } = JSON.parse(readFileSync(path.join(root, file), 'utf8'));
  for (const source of sources) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), source));
    if (!shipped.has(target)) throw new Error(`${file} points at ${target}, which the package lacks`);
  }
}
console.log(`== smoke: package contents ok (${files.length} files; ${maps.length} source maps, all their sources shipped)`);
