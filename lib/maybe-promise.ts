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

/** Whether `await value` would wait: an object or function with a callable `then` (any thenable, not only native promises). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * `next(value)` at once for a plain value, and once it settles for a thenable — what `next(await value)`
 * does, without a promise and a turn of the microtask queue when an app's hook answered at once.
 */
export function settleThen<T, R>(value: T | PromiseLike<T>, next: (settled: T) => MaybePromise<R>): MaybePromise<R> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}
