/**
 * Typed clients: types generated from the example app's OpenAPI document by `openapi-typescript`
 * type-check a small client that lists, creates and updates posts (`tsc --strict`; `@ts-expect-error`
 * lines prove the types are precise, not `any`), and that client then runs against the example app.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import mongoose from 'mongoose';
import openapiTS, { astToString } from 'openapi-typescript';
import { createApi, createApp } from '../example/api.js';
import { defineModels } from '../example/models.js';
import { seed } from '../example/seed.js';
import { useTestDatabase } from './fixtures/database.js';

const run = promisify(execFile);
const KEY = 'client-key';
// In the repository (so `@types/node` resolves), under the git-ignored cache folder.
const directory = new URL('../.cache/openapi-client/', import.meta.url);

/** The client an app would write: typed by the generated `paths` and `components`. */
const client = `import type { components, paths } from './schema.js';

type Post = components['schemas']['Post'];
type PostCreate = components['schemas']['PostCreate'];
type PostUpdate = components['schemas']['PostUpdate'];
type ListQuery = NonNullable<paths['/api/posts/']['get']['parameters']['query']>;
type PostPage = paths['/api/posts/']['get']['responses'][200]['content']['application/json'];

export class BlogClient {
  constructor(private readonly base: string, private readonly key: string) {}

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: { 'X-API-Key': this.key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(\`\${method} \${path}: \${res.status} \${await res.text()}\`);
    return (await res.json()) as T;
  }

  listPosts(query: ListQuery = {}): Promise<PostPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    return this.send<PostPage>('GET', \`/api/posts/?\${params}\`);
  }

  createPost(post: PostCreate): Promise<Post> {
    return this.send<Post>('POST', '/api/posts/', post);
  }

  updatePost(id: string, changes: PostUpdate): Promise<Post> {
    return this.send<Post>('PUT', \`/api/posts/\${encodeURIComponent(id)}/\`, changes);
  }
}

// The types are precise: each of these is an error.
// @ts-expect-error a post needs a title
export const untitled: PostCreate = { tags: ['x'] };
// @ts-expect-error tags are strings
export const numericTags: PostUpdate = { tags: [1] };
// @ts-expect-error _limit is a number
export const textLimit: ListQuery = { _limit: 'ten' };
// @ts-expect-error only declared orderings
export const badOrder: ListQuery = { _order_by: ['author'] };
export const titleOf = (page: PostPage): string | undefined => page.data[0]?.title;
// @ts-expect-error the page has no "items"
export const wrongKey = (page: PostPage) => page.items;
`;

const tsconfig = {
  compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: true },
  files: ['schema.ts', 'client.ts'],
};

// Generated when the file loads (CPU work, before any database connection).
const document = createApi(defineModels(mongoose.createConnection()), { apiKey: KEY }).openapi();
const types = astToString(await openapiTS(document as never));
await mkdir(directory, { recursive: true });
await writeFile(new URL('schema.ts', directory), types);
await writeFile(new URL('client.ts', directory), client);
await writeFile(new URL('tsconfig.json', directory), JSON.stringify(tsconfig, null, 2));

/** What this test calls of the generated client (its own types were checked by tsc above). */
interface BlogClientShape {
  listPosts(query: Record<string, unknown>): Promise<{ data: Record<string, unknown>[]; has_more: boolean; total?: number }>;
  createPost(post: Record<string, unknown>): Promise<Record<string, unknown> & { id?: string }>;
  updatePost(id: string, changes: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const database = useTestDatabase(test, import.meta.url);
let server: Server | undefined;
test.after.always(() => server?.close());

test('the generated types describe the example API', (t) => {
  t.regex(types, /"\/api\/posts\/": \{/);
  t.regex(types, /listPosts: \{/);
  t.regex(types, /PostCreate: \{/);
});

test('a client typed by the generated types type-checks (tsc --strict), with its deliberate errors caught', async (t) => {
  t.timeout(120_000);
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const result = await run(process.execPath, [tsc, '-p', fileURLToPath(new URL('tsconfig.json', directory))]).then(
    () => ({ code: 0, output: '' }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
  t.is(result.output, '');
  t.is(result.code, 0);
});

test('the typed client lists, creates and updates posts of the example API', async (t) => {
  const models = defineModels((await database.ready).connection);
  await Promise.all([models.User.init(), models.Post.init(), models.Media.init()]);
  await seed(models);
  server = createApp(models, { apiKey: KEY }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  const { BlogClient } = (await import(new URL('client.ts', directory).href)) as { BlogClient: new (base: string, key: string) => BlogClientShape };
  const blog = new BlogClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, KEY);

  const page = await blog.listPosts({ _order_by: ['created'], _fields: ['title'], _limit: 1 });
  t.deepEqual(page, { data: [{ title: 'Notes on the Analytical Engine' }], has_more: true });
  const created = await blog.createPost({ title: 'Typed', tags: ['client'] });
  t.like(created, { title: 'Typed', tags: ['client'], published: false });
  const updated = await blog.updatePost(created.id!, { published: true });
  t.like(updated, { id: created.id, title: 'Typed', published: true });
  const found = await blog.listPosts({ title: 'Typed', _count: true });
  t.is(found.total, 1);
});
