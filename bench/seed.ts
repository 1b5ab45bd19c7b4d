/**
 * Seeds the benchmark database with the raw driver: users, then posts referencing them, deterministic
 * (a fixed PRNG seed) so every run measures the same data. Also removes documents created by the
 * `create` scenario between rounds.
 */
import { ObjectId, type Db } from 'mongodb';
import { collections, postStatuses } from './models.js';
import type { Fixture } from './types.js';

/** Marker tag on documents created by the `create` scenario, so they can be removed after each round. */
export const createdTag = 'bench-created';

const words = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et ' +
  'dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea ' +
  'commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur'
).split(' ');
const tagPool = ['koa', 'mongodb', 'rest', 'node', 'typescript', 'api', 'perf', 'json', 'http', 'db'];
const batchSize = 1_000;
const epoch = Date.UTC(2024, 0, 1);

/** mulberry32: a tiny deterministic PRNG; returns floats in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function userCountFor(posts: number): number {
  return Math.max(20, Math.ceil(posts / 100));
}

export interface SeedResult extends Fixture {
  posts: number;
  users: number;
  seconds: number;
}

/** Drops and refills the two collections of `db`, then creates the indexes the scenarios use. */
export async function seed(db: Db, posts: number, log: (line: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const random = prng(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sentence = (n: number) => Array.from({ length: n }, () => pick(words)).join(' ');

  await db.collection(collections.posts).drop().catch(() => undefined);
  await db.collection(collections.users).drop().catch(() => undefined);

  const users = userCountFor(posts);
  const userIds = Array.from({ length: users }, () => new ObjectId());
  await db.collection(collections.users).insertMany(
    userIds.map((_id, i) => ({
      _id,
      name: `User ${i} ${pick(words)}`,
      email: `user${i}@example.com`,
      created: new Date(epoch + i * 3_600_000),
    })),
  );

  const postIds: ObjectId[] = [];
  for (let start = 0; start < posts; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, posts - start) }, (_, k) => {
      const i = start + k;
      const _id = new ObjectId();
      postIds.push(_id);
      return {
        _id,
        title: `Post ${i}: ${sentence(4)}`,
        body: sentence(40),
        status: pick(postStatuses),
        score: Math.floor(random() * 100),
        tags: [pick(tagPool), pick(tagPool)],
        author: pick(userIds),
        created: new Date(epoch + i * 60_000),
      };
    });
    await db.collection(collections.posts).insertMany(batch, { ordered: false });
    if (posts >= 50_000 && (start / batchSize) % 20 === 19) log(`[seed] ${start + batch.length} / ${posts} posts`);
  }

  const postsCollection = db.collection(collections.posts);
  await postsCollection.createIndex({ created: -1 });
  await postsCollection.createIndex({ status: 1, created: -1 });
  await postsCollection.createIndex({ author: 1 });

  return {
    posts,
    users,
    postIds: postIds.map(String),
    userIds: userIds.map(String),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Removes what the `create` scenario inserted, so every round starts from the seeded data set. */
export async function removeCreated(db: Db): Promise<number> {
  const { deletedCount } = await db.collection(collections.posts).deleteMany({ tags: createdTag });
  return deletedCount;
}
