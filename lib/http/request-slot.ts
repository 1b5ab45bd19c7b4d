/**
 * A value the library keeps on a request's context, under a symbol of its own (invisible to the app's
 * property names and to JSON). A property rather than a module WeakMap keyed by the context: an
 * ephemeron entry per request is extra work for every minor GC (docs/performance.md, "Garbage").
 *
 * @example
 * ```ts
 * const deadlines = new RequestSlot<RequestDeadline>('deadline');
 * deadlines.get(ctx) ?? deadlines.set(ctx, new RequestDeadline(2000));
 * ```
 */
export class RequestSlot<T> {
  private readonly key: symbol;

  constructor(name: string) {
    this.key = Symbol(`mongorest.${name}`);
  }

  get(ctx: object): T | undefined {
    return (ctx as Record<symbol, T | undefined>)[this.key];
  }

  /** Stores `value` on `ctx` and returns it. */
  set(ctx: object, value: T): T {
    (ctx as Record<symbol, T>)[this.key] = value;
    return value;
  }
}
