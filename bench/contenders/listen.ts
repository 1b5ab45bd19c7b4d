/**
 * Starts an HTTP server on a free loopback port — the same for every contender — and tracks the
 * requests its handler has not finished yet, so the runner can wait for a contender to be idle between
 * load runs (the load generator abandons requests in flight when a run ends; their database work must
 * not spill into the next contender's run).
 */
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  port: number;
  /** Resolves when no request is being handled (true) or after `timeoutMs` (false). */
  idle(timeoutMs: number): Promise<boolean>;
  /** Stops accepting, lets requests in flight finish (up to 5 s), then closes every connection. */
  close(): Promise<void>;
}

const drainTimeoutMs = 5_000;

export async function listen(handler: RequestListener): Promise<Listening> {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const finished = () => {
    inFlight--;
    if (inFlight === 0) for (const wake of waiters.splice(0)) wake();
  };

  const server = createServer((request, response) => {
    inFlight++;
    // A request is finished when the handler ends the response, or — for Koa, which skips `end()` when
    // the client is gone — when the promise its handler returns settles. Whichever comes first counts.
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        finished();
      }
    };
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    response.end = ((...args: unknown[]) => {
      finish();
      return end(...args);
    }) as ServerResponse['end'];
    const result: unknown = handler(request, response);
    if (result instanceof Promise) result.then(finish, finish);
  });
  // Longer than the runner's pauses between runs, so keep-alive never races a close.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  const idle = (timeoutMs: number) =>
    inFlight === 0
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
          const timer = setTimeout(() => {
            waiters = waiters.filter((waiter) => waiter !== wake);
            resolve(false);
          }, timeoutMs);
          waiters.push(wake);
        });

  return {
    port: (server.address() as AddressInfo).port,
    idle,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await idle(drainTimeoutMs);
      server.closeAllConnections();
      await closed;
    },
  };
}
