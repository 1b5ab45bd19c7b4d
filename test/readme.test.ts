/**
 * The README walk-through, run as written: its ```sh block goes to bash (curl) against the example app
 * on this file's database, and every command's output must equal the `# →` line after it (ids shown as
 * `…`). A README that drifts from the code fails here.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import test from 'ava';
import { createApp } from '../example/api.js';
import { defineModels } from '../example/models.js';
import { seed } from '../example/seed.js';
import { useTestDatabase } from './fixtures/database.js';

const run = promisify(execFile);
const database = useTestDatabase(test, import.meta.url);
let server: Server | undefined;
test.after.always(() => server?.close());

function walkthrough(readme: string): string {
  const section = readme.slice(readme.indexOf('## Walk-through'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('no ```sh block under "## Walk-through" in README.md');
  return match[1]!;
}

test('every command of the README walk-through answers what the README says', async (t) => {
  const models = defineModels((await database.ready).connection);
  await Promise.all([models.User.init(), models.Post.init(), models.Media.init()]);
  await seed(models);
  server = createApp(models, { apiKey: 'let-me-write' }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  const block = walkthrough(await readFile(new URL('../README.md', import.meta.url), 'utf8'));
  const expected = block
    .split('\n')
    .filter((line) => line.startsWith('# → '))
    .map((line) => line.slice('# → '.length));
  // Each command's output on a line of its own; the README's URL pointed at this test's server.
  const script = block
    .replaceAll('http://127.0.0.1:3000', `http://127.0.0.1:${port}`)
    .split('\n')
    .map((line) => (line.startsWith('curl ') ? `${line}; echo` : line))
    .join('\n');
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000 });
  const actual = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/[0-9a-f]{24}/g, '…'));

  t.true(expected.length >= 10, 'the walk-through shows its outputs');
  t.deepEqual(actual, expected);
});
