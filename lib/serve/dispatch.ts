/**
 * The two steps every served request (method or custom action) shares: announcing what serves it in
 * `ctx.state.mongorest`, and running its handler through the view's `dispatch` override point.
 */
import { promiseOf } from '../maybe-promise.js';
import type { Resource } from '../resource.js';
import type { RequestContext } from '../types.js';
import type { MongoRestState, ResourceView } from '../view.js';

/** Sets `ctx.state.mongorest` (see `MongoRestState`). */
export function announce(ctx: RequestContext, method: string, view: ResourceView, resource: Resource): void {
  const state: MongoRestState = { method, view, resource };
  (ctx.state as Record<string, unknown>).mongorest = state;
}

/**
 * Runs `handler` through the view's `dispatch` override point; `next` runs it at most once (a second
 * call is a bug of the override, answered 500 like a koa-compose `next()` called twice).
 */
export function dispatchThrough(view: ResourceView, ctx: RequestContext, method: string, handler: () => Promise<void>): Promise<void> {
  let called = false;
  const next = () => {
    if (called) return Promise.reject(new Error(`${view.constructor.name}.dispatch called next() more than once.`));
    called = true;
    return handler();
  };
  // The dispatch's own promise when it returns one (the default returns the handler's): no wrapper per request.
  return promiseOf(() => view.dispatch(ctx, method, next));
}
