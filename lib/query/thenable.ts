/**
 * Mongoose queries are thenables: `await query` — or returning one from an `async` function — runs it.
 * The lookup pipeline passes queries through async hooks (`hasReadPermission` "may be async"), so while
 * a query travels through them its own `then` is hidden ("inert"); the library always runs queries with
 * `exec()`. `revive` gives it back before the query reaches code that may `await` it for results.
 */
import type { AnyQuery } from '../types.js';

/**
 * A Mongoose query, by its shape rather than `instanceof`: the app's queries come from the app's own
 * Mongoose, which need not be the module this file would import (a linked or folder-installed package).
 */
export function isQuery(value: unknown): value is AnyQuery {
  if (typeof value !== 'object' || value === null) return false;
  const query = value as Record<string, unknown>;
  return (
    typeof query.exec === 'function' &&
    typeof query.getFilter === 'function' &&
    typeof query.setOptions === 'function' &&
    typeof query.model === 'function'
  );
}

export function inert(query: AnyQuery): AnyQuery {
  Object.defineProperty(query, 'then', { value: undefined, configurable: true, writable: true });
  return query;
}

export function revive(query: AnyQuery): AnyQuery {
  delete (query as { then?: unknown }).then;
  return query;
}

/** Calls a hook that receives a query and returns it (narrowed); the result stays inert. */
export async function callQueryHook(
  query: AnyQuery,
  hookName: string,
  hook: (query: AnyQuery) => unknown,
): Promise<AnyQuery> {
  const result: unknown = await hook(inert(query));
  // No "undefined means unchanged": a hook that built a new query and forgot to return it would
  // silently not narrow anything. Fail closed instead.
  if (!isQuery(result)) {
    throw new TypeError(`${hookName} must return the query it was given (narrowed), not ${describe(result)}.`);
  }
  return inert(result);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'query results (was the query executed?)';
  return value === null ? 'null' : value === undefined ? 'undefined (missing return?)' : typeof value;
}
