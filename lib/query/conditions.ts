/**
 * ANDs a filter into a query. Clauses whose keys are new to the query are merged flat
 * (`{a: 1, b: 2}`), the rest go under `$and`: the same meaning, but a flat filter keeps simple
 * equality visible to planners that look only at top-level keys (FerretDB pushes `{_id: x}` down to
 * its index but scans the collection for `{$and: [{_id: x}]}`).
 */
import type { AnyQuery } from '../types.js';

type Filter = Record<string, unknown>;

function clausesOf(filter: Filter): Filter[] {
  const keys = Object.keys(filter);
  if (keys.length === 1 && keys[0] === '$and' && Array.isArray(filter.$and)) return filter.$and as Filter[];
  return keys.length === 0 ? [] : [filter];
}

export function andInto(query: AnyQuery, filter: Filter): void {
  const taken = new Set(Object.keys(query.getFilter()));
  const flat: Filter = {};
  const nested: Filter[] = [];
  for (const clause of clausesOf(filter)) {
    const keys = Object.keys(clause);
    if (keys.some((key) => key.startsWith('$') || taken.has(key))) {
      nested.push(clause);
      continue;
    }
    for (const key of keys) {
      flat[key] = clause[key];
      taken.add(key);
    }
  }
  if (Object.keys(flat).length > 0) query.where(flat);
  if (nested.length > 0) query.and(nested);
}
