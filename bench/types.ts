/** Types shared by the benchmark's parent process (runner) and its server children. */
import type { Listening } from './contenders/listen.js';

/**
 * The scenarios, in the order they run: reads first, so that writes cannot change what reads see.
 * `create` is the like-for-like write (no contender checks that the referenced author exists);
 * `create-checked` is the same request to a koa-mongorest resource with `checkReferences = true` (the
 * default) and to a baseline route that checks it too — its extra cost is the reference check.
 */
export const scenarioIds = ['list-20', 'list-100', 'fetch', 'filtered', 'expanded', 'create', 'create-checked', 'update'] as const;
export type ScenarioId = (typeof scenarioIds)[number];

export const contenderIds = ['baseline', 'koa-mongorest', 'express-restify-mongoose'] as const;
export type ContenderId = (typeof contenderIds)[number];

/** What a contender's server needs to reach the seeded database. */
export interface ServerConfig {
  uri: string;
  dbName: string;
  /** Driver connection pool size, the same for every contender. */
  poolSize: number;
  /** The koa-mongorest contender's `databaseTimeoutMS` (default: the library's). */
  databaseTimeoutMS?: number;
  /** Run the child under `node --cpu-prof`, writing its profiles into `<dir>/<contender>/` on exit. */
  cpuProfDir?: string;
}

/** A contender's HTTP server (started with `listen` from contenders/listen.ts) and how to shut it all down. */
export interface RunningApp {
  server: Listening;
  /** Closes the server, then the app's database connection. */
  close(): Promise<void>;
}

/** Every contender module (`bench/contenders/<id>.ts`) exports `start` with this signature. */
export type StartApp = (config: ServerConfig) => Promise<RunningApp>;

/** Ids of seeded documents, used to address existing items in fetch/update scenarios. */
export interface Fixture {
  postIds: string[];
  userIds: string[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** One HTTP request of a scenario. */
export interface HttpCall {
  method: HttpMethod;
  path: string;
  body?: Record<string, unknown>;
}

/** A point-in-time reading of a server child's memory (bytes). */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Peak resident set size of the process so far (from `process.resourceUsage().maxRSS`). */
  maxRss: number;
}

/** Signs the `_after` cursors of the koa-mongorest contender, so the scale runner can make one (bench/scale.ts). */
export const benchCursorSecret = 'koa-mongorest-bench-cursor-secret';

/** Messages on the IPC channel between the runner and a server child. */
export type ParentMessage = { type: 'memory' } | { type: 'rss' } | { type: 'cpu' } | { type: 'idle' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'memory'; memory: MemorySample }
  /** The resident set size now, without a GC first (cheap enough to sample under load). */
  | { type: 'rss'; rss: number }
  /** CPU time (user + system) the child has used so far, microseconds. */
  | { type: 'cpu'; micros: number }
  /** Sent once no request is in flight any more (`idle: false`: still busy after the child's time limit). */
  | { type: 'idle'; idle: boolean }
  | { type: 'failed'; message: string };
