/**
 * What the library keeps about one request, on its context: one record of a fixed shape under one
 * symbol (invisible to the app's property names and to JSON), made by the first step that needs it.
 * One record rather than a property per value: each symbol property added to a context is a new hidden
 * class for it, and four of them, added in an order that depends on the request, made every access a
 * megamorphic lookup (docs/performance.md, "Promises, property lookups, dates and ids"). A property
 * rather than a module WeakMap keyed by the context: an ephemeron entry per request is extra work for
 * every minor GC (docs/performance.md, "Garbage").
 */
import type { RequestDeadline } from '../deadline/request-deadline.js';

export interface RequestState {
  /** Unique in this process: resource instances remember which request they parsed (resource.ts). */
  readonly number: number;
  /** The request's database budget (deadline/request-deadline.ts), once a view serves it. */
  deadline: RequestDeadline | undefined;
  /** True while `ctx.body` is a list page still to be stringified with its ETag (versioning/conditional.ts). */
  pendingPage: boolean;
  /** The handler `ctx.onerror` had before `quietClientAborts` (http/client-abort.ts). */
  onerrorBefore: ((error: Error) => void) | undefined;
}

const key = Symbol('mongorest.request');
let requestsNumbered = 0;

/** The record of the request `ctx`, the same object on every call with that context. */
export function requestState(ctx: object): RequestState {
  const slot = ctx as Record<symbol, RequestState | undefined>;
  return (slot[key] ??= { number: ++requestsNumbered, deadline: undefined, pendingPage: false, onerrorBefore: undefined });
}
