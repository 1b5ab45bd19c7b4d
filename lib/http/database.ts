/**
 * Database availability: every read the library awaits runs under the request's deadline, so a stopped,
 * unreachable or overloaded server answers 503 within about `databaseTimeoutMS` instead of buffering
 * (Mongoose) or waiting for server selection (driver, 30 s by default); the read also carries `maxTimeMS`
 * so the server stops work the client no longer waits for. Writes go through deadline/write-gate.ts.
 * The driver keeps reconnecting on its own; once the server is back, the next request succeeds.
 */

export class DatabaseTimeout extends Error {
  constructor(ms: number) {
    super(`database operation did not finish within ${ms} ms`);
    this.name = 'DatabaseTimeout';
  }
}

/**
 * `operation`'s outcome, or a `DatabaseTimeout` once `ms` have passed (no limit when `ms` is not a
 * positive finite number); `mapError` turns either failure into what the caller rejects with.
 */
export function withDeadline<T>(operation: PromiseLike<T>, ms: number, mapError: (error: unknown) => unknown = (error) => error): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return Promise.resolve(operation).catch((error: unknown) => Promise.reject(mapError(error)));
  // One promise settled by whichever comes first (cheaper per read than Promise.race + finally); the
  // operation is always observed, so losing it later is never an unhandled rejection.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(mapError(new DatabaseTimeout(ms))), ms);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(mapError(error));
      },
    );
  });
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
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/** The server stopped an operation at its `maxTimeMS` (MongoDB and FerretDB both answer code 50). */
const MAX_TIME_MS_EXPIRED = 50;

/** True for errors that mean "the database is not there right now", as opposed to a bad request or a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unavailableErrorNames.has(error.name)) return true;
  if ((error as { code?: unknown }).code === MAX_TIME_MS_EXPIRED) return true;
  // Mongoose's buffering timeout is a plain MongooseError; its message is the only stable mark.
  return error.name === 'MongooseError' && /buffering timed out|Connection .* was closed|Client must be connected/i.test(error.message);
}
