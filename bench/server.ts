/**
 * Entry of a contender's server child: `node --import tsx --expose-gc bench/server.ts <contender>`, with
 * BENCH_MONGODB_URI, BENCH_DB_NAME and BENCH_POOL_SIZE in the environment and an IPC channel to the
 * runner. Every contender runs in a child of exactly this shape; only the module loaded differs.
 */
import { contenders } from './contenders/index.js';
import { contenderIds, type ChildMessage, type ContenderId, type MemorySample, type ParentMessage } from './types.js';

/** How long a child waits for its requests in flight to finish before answering that it is still busy. */
const idleTimeoutMs = 30_000;

function send(message: ChildMessage): void {
  process.send?.(message);
}

function memory(): MemorySample {
  // Collect first, so heapUsed is what the server retains rather than garbage not yet collected.
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, maxRss: process.resourceUsage().maxRSS * 1024 };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const id = process.argv[2] as ContenderId;
try {
  if (!process.send) throw new Error('bench/server.ts must be started by bench/run.ts (it needs an IPC channel)');
  if (!contenderIds.includes(id)) throw new Error(`unknown contender "${id}"`);
  const { start } = await contenders[id].load();
  const app = await start({
    uri: required('BENCH_MONGODB_URI'),
    dbName: required('BENCH_DB_NAME'),
    poolSize: Number(required('BENCH_POOL_SIZE')),
    ...(process.env.BENCH_DATABASE_TIMEOUT_MS ? { databaseTimeoutMS: Number(process.env.BENCH_DATABASE_TIMEOUT_MS) } : {}),
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') send({ type: 'memory', memory: memory() });
    if (message.type === 'rss') send({ type: 'rss', rss: process.memoryUsage.rss() });
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
    }
    if (message.type === 'idle') void app.server.idle(idleTimeoutMs).then((idle) => send({ type: 'idle', idle }));
    if (message.type === 'stop') {
      void app
        .close()
        .catch((error: unknown) => console.error(`[${id}] close failed:`, error))
        .finally(() => process.exit(0));
    }
  });
  // The runner going away (even killed) closes the channel: never outlive it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: app.server.port });
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: 'failed', message });
  process.exitCode = 1;
  process.disconnect?.();
}
