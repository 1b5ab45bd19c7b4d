/**
 * The scenarios: what each measures, the status it must answer, and a check of one response that the
 * runner applies to every contender before loading it (so a contender is never measured answering
 * errors, or answering something cheaper than the others).
 */
import { filteredMinScore, isRecord, pageSizes, type Dialect } from './routes.js';
import type { HttpCall, ScenarioId } from './types.js';

export interface Scenario {
  id: ScenarioId;
  title: string;
  status: number;
  /** Returns a description of what is wrong with a response body, or undefined when it is right. */
  check(body: unknown, call: HttpCall, dialect: Dialect): string | undefined;
}

function checkList(body: unknown, dialect: Dialect, size: number): string | undefined {
  const items = dialect.items(body);
  if (!items) return 'not a list response';
  if (items.length !== size) return `expected ${size} items, got ${items.length}`;
  const bad = items.find((item) => !isRecord(item) || typeof item[dialect.idKey] !== 'string');
  return bad === undefined ? undefined : `an item lacks a string "${dialect.idKey}"`;
}

function checkPost(body: unknown, dialect: Dialect, sent?: Record<string, unknown>): string | undefined {
  if (!isRecord(body)) return 'not an object';
  if (typeof body[dialect.idKey] !== 'string') return `no string "${dialect.idKey}"`;
  if (typeof body.title !== 'string') return 'no title';
  for (const [key, value] of Object.entries(sent ?? {})) {
    if (key === dialect.authorKey || Array.isArray(value)) continue;
    if (body[key] !== value) return `"${key}" is ${JSON.stringify(body[key])}, sent ${JSON.stringify(value)}`;
  }
  return undefined;
}

export const scenarios: Record<ScenarioId, Scenario> = {
  'list-20': {
    id: 'list-20',
    title: 'GET list, 20 docs',
    status: 200,
    check: (body, _call, dialect) => checkList(body, dialect, pageSizes['list-20']),
  },
  'list-100': {
    id: 'list-100',
    title: 'GET list, 100 docs',
    status: 200,
    check: (body, _call, dialect) => checkList(body, dialect, pageSizes['list-100']),
  },
  fetch: {
    id: 'fetch',
    title: 'GET by id',
    status: 200,
    check(body, call, dialect) {
      const problem = checkPost(body, dialect);
      if (problem) return problem;
      return call.path.includes(String((body as Record<string, unknown>)[dialect.idKey])) ? undefined : 'wrong document';
    },
  },
  filtered: {
    id: 'filtered',
    title: 'GET filtered + ordered + _fields',
    status: 200,
    check(body, _call, dialect) {
      const items = dialect.items(body);
      if (!items || items.length !== 20) return `expected 20 items, got ${items?.length ?? 'no list'}`;
      const allowed = new Set([dialect.idKey, 'title', 'score', 'created', dialect.authorKey]);
      let previous = Infinity;
      for (const item of items) {
        if (!isRecord(item)) return 'an item is not an object';
        const extra = Object.keys(item).filter((key) => !allowed.has(key));
        if (extra.length > 0) return `unselected fields in the output: ${extra.join(', ')}`;
        if (typeof item.score !== 'number' || item.score < filteredMinScore) return 'the score filter was not applied';
        const created = Date.parse(String(item.created));
        if (!(created <= previous)) return 'not ordered by -created';
        previous = created;
      }
      return undefined;
    },
  },
  expanded: {
    id: 'expanded',
    title: 'GET list, 20 docs, author expanded',
    status: 200,
    check(body, _call, dialect) {
      const problem = checkList(body, dialect, 20);
      if (problem) return problem;
      const items = dialect.items(body) as Record<string, unknown>[];
      const author = items[0]?.[dialect.authorKey];
      return isRecord(author) && typeof author.name === 'string' ? undefined : `"${dialect.authorKey}" is not expanded`;
    },
  },
  create: {
    id: 'create',
    title: 'POST create',
    status: 201,
    check: (body, call, dialect) => checkPost(body, dialect, call.body),
  },
  'create-checked': {
    id: 'create-checked',
    title: 'POST create, reference checked',
    status: 201,
    check: (body, call, dialect) => checkPost(body, dialect, call.body),
  },
  update: {
    id: 'update',
    title: 'PUT update',
    status: 200,
    check: (body, call, dialect) => checkPost(body, dialect, call.body),
  },
};
