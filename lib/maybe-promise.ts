/**
 * Values that are ready at once on the common path and a promise only when something must be waited
 * for (an async `getFields`, a computed field, a database read). Handing them on without `await` saves
 * a promise and turns of the microtask queue per step of a request (docs/performance.md, "Promises,
 * property lookups, dates and ids"). Only native promises count as "not ready": values that may come
 * from an app's override are passed through `Promise.resolve` first.
 *
 * @example
 * ```ts
 * const fields = requestFieldsOf(resource, ctx); // string[] | Promise<string[]>
 * return andThen(fields, (known) => resource.projectionFor(known));
 * ```
 */
import type { MaybePromise } from './types.js';

/** `next(value)` at once when `value` is ready, else once it resolves. */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** What `run` returns, as a promise (its own when it is one), or its synchronous throw as a rejection. */
export function promiseOf<T>(run: () => MaybePromise<T> | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
