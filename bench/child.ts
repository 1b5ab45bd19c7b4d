/** The runner's handle on one contender's server child process (spawn, readiness, memory, stop). */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ContenderId, MemorySample, ParentMessage, ServerConfig } from './types.js';

const serverEntry = fileURLToPath(new URL('./server.ts', import.meta.url));
const startTimeoutMs = 60_000;

export class ServerChild {
  private constructor(
    readonly id: ContenderId,
    readonly port: number,
    private readonly process: ChildProcess,
  ) {}

  /** Forks the child and waits for it to listen; rejects with the child's own error when it fails. */
  static async start(id: ContenderId, config: ServerConfig): Promise<ServerChild> {
    const child = fork(serverEntry, [id], {
      // --no-warnings: Mongoose 9 warns on every findOneAndUpdate({ new: true }) that express-restify-mongoose sends.
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        '--no-warnings',
        // One folder per contender: tsx's loader thread writes a (small) profile of its own beside the main one.
        ...(config.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(config.cpuProfDir, id)}`] : []),
      ],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        BENCH_MONGODB_URI: config.uri,
        BENCH_DB_NAME: config.dbName,
        BENCH_POOL_SIZE: String(config.poolSize),
        ...(config.databaseTimeoutMS ? { BENCH_DATABASE_TIMEOUT_MS: String(config.databaseTimeoutMS) } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const port = await ready(child);
      return new ServerChild(id, port, child);
    } catch (error) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw error;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Memory after a full garbage collection in the child. */
  async memory(): Promise<MemorySample> {
    const answer = await this.ask('memory');
    return answer.memory;
  }

  /** The child's resident set size now (no GC first), bytes. */
  async rss(): Promise<number> {
    const answer = await this.ask('rss');
    return answer.rss;
  }

  /** CPU time the child has used so far (user + system), microseconds. */
  async cpuMicros(): Promise<number> {
    const answer = await this.ask('cpu');
    return answer.micros;
  }

  /** Waits until the child has finished every request (the load generator abandons some at the end of a run). */
  async idle(): Promise<boolean> {
    const answer = await this.ask('idle', 35_000);
    return answer.idle;
  }

  private ask<T extends 'memory' | 'rss' | 'cpu' | 'idle'>(type: T, timeoutMs = 5_000): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (!this.process.connected) {
        reject(new Error(`${this.id}: the server process is gone (exit code ${this.process.exitCode})`));
        return;
      }
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        this.process.off('message', onMessage);
        clearTimeout(timer);
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const timer = setTimeout(() => {
        this.process.off('message', onMessage);
        reject(new Error(`${this.id}: no ${type} report within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.process.on('message', onMessage);
      this.send({ type });
    });
  }

  /** Asks the child to close its server and database connection; kills it if it does not exit soon. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: ParentMessage): void {
    if (this.process.connected) this.process.send(message);
  }
}

/** Resolves with the port the child listens on, or rejects with the error it reports or its early exit. */
function ready(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      settle();
    };
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') done(() => resolve(message.port));
      if (message.type === 'failed') done(() => reject(new Error(message.message)));
    };
    const onError = (error: Error) => done(() => reject(error));
    const onExit = (code: number | null) => done(() => reject(new Error(`exited with code ${code} before listening`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`no answer within ${startTimeoutMs / 1000} s`))),
      startTimeoutMs,
    );
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });
}
