/**
 * How each contender spells each scenario over HTTP. The baseline and koa-mongorest share one spelling
 * (the koa-mongorest contract); express-restify-mongoose gets its nearest equivalent (see
 * docs/performance.md for the mapping and what differs).
 */
import { createdTag } from './seed.js';
import type { ContenderId, Fixture, HttpCall, ScenarioId } from './types.js';

/** A contender's API dialect: requests per scenario, and how to read its responses back. */
export interface Dialect {
  /** The `i`-th request of a scenario (i counts from 0 across a whole load run). */
  call(scenario: ScenarioId, i: number, fixture: Fixture): HttpCall;
  /** The items of a list response, or undefined when the body is not a list response. */
  items(body: unknown): unknown[] | undefined;
  idKey: string;
  authorKey: string;
  /** Scenarios this contender has no equivalent for (not measured, shown as "n/a"). */
  unsupported?: ReadonlySet<ScenarioId>;
}

export const pageSizes = { 'list-20': 20, 'list-100': 100 } as const;
export const filteredFields = ['id', 'title', 'score', 'created', 'author_id'] as const;
/** The filtered scenario: published posts with score >= 50, newest first. */
export const filteredMinScore = 50;

const at = <T>(items: readonly T[], i: number): T => items[i % items.length]!;

function createBody(i: number, fixture: Fixture, authorKey: string): Record<string, unknown> {
  return {
    title: `Bench post ${i}`,
    body: 'Created by the benchmark; removed after each round.',
    status: 'published',
    score: i % 100,
    tags: [createdTag, 'perf'],
    [authorKey]: at(fixture.userIds, i),
  };
}

/** Spreads updates over the pool of seeded ids (a stride co-prime with typical pool sizes). */
const updateTarget = (i: number, fixture: Fixture) => at(fixture.postIds, i * 7919);
const updateBody = (i: number) => ({ title: `Updated ${i}`, score: (i * 13) % 100 });

/** The koa-mongorest contract: `/posts/` with `_limit`, `_fields`, `_order_by` and `field__op` filters. */
export const restDialect: Dialect = {
  idKey: 'id',
  authorKey: 'author_id',
  items: (body) => (isRecord(body) && Array.isArray(body.data) ? body.data : undefined),
  call(scenario, i, fixture) {
    switch (scenario) {
      case 'list-20':
      case 'list-100':
        return { method: 'GET', path: `/posts/?_limit=${pageSizes[scenario]}` };
      case 'fetch':
        return { method: 'GET', path: `/posts/${at(fixture.postIds, i)}/` };
      case 'filtered':
        return {
          method: 'GET',
          path:
            `/posts/?status=published&score__gte=${filteredMinScore}&_order_by=-created` +
            `&_fields=${filteredFields.join(',')}&_limit=20`,
        };
      case 'expanded':
        return { method: 'GET', path: '/posts-with-author/?_limit=20' };
      case 'create':
        return { method: 'POST', path: '/posts/', body: createBody(i, fixture, 'author_id') };
      case 'create-checked':
        return { method: 'POST', path: '/posts-checked/', body: createBody(i, fixture, 'author_id') };
      case 'update':
        return { method: 'PUT', path: `/posts/${updateTarget(i, fixture)}/`, body: updateBody(i) };
    }
  },
};

/** express-restify-mongoose: `/api/v1/Post` with `limit`, `select`, `sort`, `populate` and a JSON `query`. */
export const ermDialect: Dialect = {
  idKey: '_id',
  authorKey: 'author',
  // It never checks that a referenced document exists.
  unsupported: new Set(['create-checked']),
  items: (body) => (Array.isArray(body) ? body : undefined),
  call(scenario, i, fixture) {
    const base = '/api/v1/Post';
    switch (scenario) {
      case 'list-20':
      case 'list-100':
        return { method: 'GET', path: `${base}?limit=${pageSizes[scenario]}` };
      case 'fetch':
        return { method: 'GET', path: `${base}/${at(fixture.postIds, i)}` };
      case 'filtered': {
        const query = encodeURIComponent(JSON.stringify({ status: 'published', score: { $gte: filteredMinScore } }));
        // `_id` is selected by default; `author` is the internal name of `author_id`.
        return { method: 'GET', path: `${base}?query=${query}&sort=-created&select=title,score,created,author&limit=20` };
      }
      case 'expanded':
        return { method: 'GET', path: `${base}?limit=20&populate=author` };
      case 'create':
      case 'create-checked':
        return { method: 'POST', path: base, body: createBody(i, fixture, 'author') };
      case 'update':
        return { method: 'PUT', path: `${base}/${updateTarget(i, fixture)}`, body: updateBody(i) };
    }
  },
};

export const dialects: Record<ContenderId, Dialect> = {
  baseline: restDialect,
  'koa-mongorest': restDialect,
  'express-restify-mongoose': ermDialect,
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
