/**
 * Database availability: every operation the library awaits runs under a deadline, so a stopped or
 * unreachable server answers 503 within about `timeoutMS` instead of buffering (Mongoose) or waiting for
 * server selection (driver, 30 s by default). The driver keeps reconnecting on its own; once the server
 * is back, the next request succeeds.
 */

export class DatabaseTimeout extends Error {
  constructor(ms: number) {
    super(`database operation did not finish within ${ms} ms`);
    this.name = 'DatabaseTimeout';
  }
}

export function withDeadline<T>(operation: PromiseLike<T>, ms: number): Promise<T> {
  const promise = Promise.resolve(operation);
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeout(ms)), ms);
  });
  // The losing operation may still reject later; observe it so it is never an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const unavailableErrorNames = new Set([
  'DatabaseTimeout',
  'MongooseServerSelectionError',
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
]);

/** True for errors that mean "the database is not there right now", as opposed to a bad request or a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unavailableErrorNames.has(error.name)) return true;
  // Mongoose's buffering timeout is a plain MongooseError; its message is the only stable mark.
  return error.name === 'MongooseError' && /buffering timed out|Connection .* was closed|Client must be connected/i.test(error.message);
}
