/**
 * Filters (SPEC §6), black-box: supertest against a real Koa app on the test database, asserting exact
 * status and body. The data set (posts A–G) is in fixtures/filters-api.ts.
 */
import { readFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import mongoose from 'mongoose';
import request from 'supertest';
import { filterTargetOf } from '../lib/handlers/shared.js';
import { parseDate } from '../lib/query/cast.js';
import { splitListValue } from '../lib/query/filter-values.js';
import { buildFilter, compileFilters, type FilterTarget } from '../lib/query/filters.js';
import { Operator, Resource, ResourceView, methods, ops } from '../lib/index.js';
import { filtersApp, titles, useFiltersApi, type PostName } from './fixtures/filters-api.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const api = useFiltersApi(test, import.meta.url);

type Pairs = ReadonlyArray<readonly [string, string]>;

/** `[['a', 'x y']]` → `a=x%20y`; a string is used as it is (raw, hostile query strings). */
function queryString(query: string | Pairs): string {
  if (typeof query === 'string') return query;
  return query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

function listUrl(query: string | Pairs, base = '/api/posts/'): string {
  return `${base}?${queryString(query)}&_fields=title&_order_by=title`;
}

/** Asserts that the query lists exactly these posts: 200 and the exact envelope. */
async function expectPosts(t: ExecutionContext, query: string | Pairs, names: readonly PostName[], base?: string): Promise<void> {
  const response = await request(api().server).get(listUrl(query, base));
  const data = names.map((name) => titles[name]).sort().map((title) => ({ title }));
  t.deepEqual([response.status, response.body], [200, { data, has_more: false }], queryString(query));
}

/** Asserts a 400 with exactly this error message. */
async function expectError(t: ExecutionContext, query: string | Pairs, message: string): Promise<void> {
  const response = await request(api().server).get(listUrl(query));
  t.deepEqual([response.status, response.body], [400, { error: message }], queryString(query));
}

const all: PostName[] = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
const dateExpected = 'an ISO 8601 date (YYYY-MM-DD, optionally THH:MM[:SS[.sss]] and Z or ±HH:MM)';
const invalidValue = (key: string, expected: string, got: string) =>
  `Invalid value for filter ${JSON.stringify(key)}: expected ${expected} (got ${JSON.stringify(got)}).`;
const unknownOperator = (key: string, segment: string, field: string, accepted: string) =>
  `Invalid filter ${JSON.stringify(key)}: ${JSON.stringify(segment)} is not an operator of field ${JSON.stringify(field)} (use one of: ${accepted}).`;
const titleOperators = '(no suffix), exact, iexact, ne, contains, icontains, startswith, istartswith, endswith, iendswith, in, nin';
const viewsOperators = '(no suffix), exact, ne, lt, lte, gt, gte, in, nin';

// ---- casting by schema type -----------------------------------------------------------------------

test('Number paths: values are cast strictly; one that is not a number → 400 naming the filter', async (t) => {
  await expectPosts(t, [['views', '10']], ['A']);
  await expectPosts(t, [['views', '-3']], ['G']);
  await expectPosts(t, [['views__gt', '5']], ['A', 'D', 'E', 'F']);
  await expectPosts(t, [['views__lte', '0']], ['B', 'G']);
  await expectPosts(t, [['views__gte', '1e1']], ['A', 'D', 'F']);
  await expectPosts(t, [['views__lt', '5.5']], ['B', 'C', 'G']);
  for (const bad of ['abc', '', '0x10', 'Infinity', '1,2', ' 1', '10abc']) {
    await expectError(t, [['views', bad]], invalidValue('views', 'a number', bad));
  }
  await expectError(t, [['views__in', '1,x']], invalidValue('views__in', 'a number', 'x'));
});

test('Date paths: ISO 8601 with or without time and zone (no zone = UTC); anything else → 400', async (t) => {
  await expectPosts(t, [['created', '2024-01-15T10:00:00Z']], ['A']);
  await expectPosts(t, [['created', '2024-03-01T12:00:00+02:00']], ['D']);
  await expectPosts(t, [['created', '2024-03-01T10:00:00.000Z']], ['D']);
  await expectPosts(t, [['created', '2024-03-01T11:00+0100']], ['D']);
  await expectPosts(t, [['created', '2024-01-15']], ['F']);
  await expectPosts(t, [['created__gte', '2024-01-15']], ['A', 'B', 'D', 'F', 'G']);
  await expectPosts(t, [['created__lt', '2024-01-15T10:00']], ['C', 'F']);
  await expectPosts(t, [['created__lt', '2024-01-01T01:00:00+01:00']], ['C']);
  await expectPosts(t, [['created__exists', 'false']], ['E']);
  for (const bad of ['yesterday', '2023-02-29', '1700000000000', '2024-01-15T25:00Z', '2024-1-5', '2024-01-15T10:00+25:00']) {
    await expectError(t, [['created', bad]], invalidValue('created', dateExpected, bad));
  }
});

test('Boolean: true/false/1/0 only (anything else → 400); negation inverts', async (t) => {
  for (const yes of ['true', '1']) await expectPosts(t, [['is_published', yes]], ['A', 'C', 'F']);
  for (const no of ['false', '0']) await expectPosts(t, [['is_published', no]], ['B', 'D', 'G']);
  await expectPosts(t, [['is_published__exact', 'true']], ['A', 'C', 'F']);
  await expectPosts(t, [['is_published__not', 'true']], ['B', 'D', 'G']);
  await expectPosts(t, [['is_published__not', '0']], ['A', 'C', 'F']);
  for (const bad of ['yes', 'TRUE', '', '2', 'on']) {
    await expectError(t, [['is_published', bad]], invalidValue('is_published', 'true, false, 1 or 0', bad));
  }
});

test('ObjectId references take the id string; renamed fields filter by their API name', async (t) => {
  const { alice, bob, posts } = api().ids;
  await expectPosts(t, [['author_id', String(alice)]], ['A', 'C']);
  await expectPosts(t, [['author_id__in', `${alice},${bob}`]], ['A', 'B', 'C', 'E']);
  await expectPosts(t, [['author_id__exists', 'false']], ['D', 'F', 'G']);
  await expectPosts(t, [['author_id__not__exists', 'false']], ['A', 'B', 'C', 'E']);
  // The internal name is not a declared filter key: ignored on reads.
  await expectPosts(t, [['author', String(alice)]], all);
  const expected = 'an ObjectId (24 hexadecimal digits)';
  await expectError(t, [['author_id', 'nothex']], invalidValue('author_id', expected, 'nothex'));
  await expectError(t, [['author_id', `${alice}0`]], invalidValue('author_id', expected, `${alice}0`));
  // `id` filters `_id`.
  await expectPosts(t, [['id', String(posts.A)]], ['A']);
  await expectPosts(t, [['id__in', `${posts.A},${posts.B}`]], ['A', 'B']);
  await expectError(t, [['id', 'zzz']], invalidValue('id', expected, 'zzz'));
});

test('String paths compare the text as given (no operators, no lists, case-sensitive)', async (t) => {
  await expectPosts(t, [['title', 'a,b']], ['C']);
  await expectPosts(t, [['title', '{"$gt":""}']], ['G']);
  await expectPosts(t, [['title__ne', 'a,b']], ['A', 'B', 'D', 'E', 'F', 'G']);
  await expectPosts(t, [['title', 'hello world']], []);
  await expectPosts(t, [['title__iexact', 'hello world']], ['A', 'F']);
  await expectPosts(t, [['title__iexact', 'hello']], []);
});

test('array paths: cast by element type; Exact means contains; In/Nin/Size', async (t) => {
  await expectPosts(t, [['tags', 'tech']], ['A', 'E', 'F']);
  await expectPosts(t, [['tags__exact', 'tech']], ['A', 'E', 'F']);
  await expectPosts(t, [['tags__not', 'tech']], ['B', 'C', 'D', 'G']);
  await expectPosts(t, [['tags', '$ne']], ['G']);
  await expectPosts(t, [['tags__in', 'x,news']], ['A', 'B', 'D', 'F']);
  await expectPosts(t, [['tags__nin', 'tech,news']], ['C', 'D', 'G']);
  await expectPosts(t, [['tags__startswith', 'te']], ['A', 'E', 'F']);
  await expectPosts(t, [['tags__size', '0']], ['C']);
  await expectPosts(t, [['tags__size', '3']], ['F']);
  await expectPosts(t, [['tags__not__size', '1']], ['A', 'C', 'F']);
  await expectPosts(t, [['scores', '5']], ['A']);
  await expectPosts(t, [['scores__gt', '50']], ['D']);
  await expectPosts(t, [['scores__gt', '0']], ['A', 'D']);
  await expectPosts(t, [['checkins', '2024-01-01']], ['A']);
  await expectError(t, [['scores', 'five']], invalidValue('scores', 'a number', 'five'));
  await expectError(t, [['checkins', 'soon']], invalidValue('checkins', dateExpected, 'soon'));
  for (const bad of ['-1', '1.5', 'x', '']) {
    await expectError(t, [['tags__size', bad]], invalidValue('tags__size', 'a non-negative integer', bad));
  }
});

test('sub-document paths are filterable when declared as dotted keys, queried with __', async (t) => {
  await expectPosts(t, [['content__lang', 'fr']], ['B']);
  await expectPosts(t, [['content__lang__in', 'en,de']], ['A', 'C', 'E', 'F']);
  await expectPosts(t, [['content__text__icontains', 'COMMA']], ['C']);
  await expectPosts(t, [['content__text__icontains', 'ünï']], ['F']);
  await expectPosts(t, [['content__exists', 'false']], ['D', 'G']);
  await expectPosts(t, [['content.lang', 'fr']], all);
  await expectError(
    t,
    [['content__text', 'x']],
    'Invalid filter "content__text": field "content.text" needs an operator suffix (one of: icontains).',
  );
  await expectError(t, [['content__foo', '1']], unknownOperator('content__foo', 'foo', 'content', 'exists'));
  await expectError(
    t,
    [['content__lang__startswith', 'f']],
    unknownOperator('content__lang__startswith', 'startswith', 'content.lang', '(no suffix), exact, in'),
  );
});

// ---- key grammar ----------------------------------------------------------------------------------

test('an undeclared operator suffix on a declared field → 400 naming the field and the segment', async (t) => {
  await expectError(t, [['title__foo', 'x']], unknownOperator('title__foo', 'foo', 'title', titleOperators));
  await expectError(t, [['views__startswith', '1']], unknownOperator('views__startswith', 'startswith', 'views', viewsOperators));
  await expectError(t, [['title__startswith__not', 'x']], unknownOperator('title__startswith__not', 'not', 'title', titleOperators));
  await expectError(t, [['title__', 'x']], unknownOperator('title__', '', 'title', titleOperators));
  await expectError(t, [['title__$ne', 'x']], unknownOperator('title__$ne', '$ne', 'title', titleOperators));
  await expectError(t, [['title__exact__in', 'a']], unknownOperator('title__exact__in', 'in', 'title', titleOperators));
  await expectError(t, [['title__not__not', 'x']], unknownOperator('title__not__not', 'not', 'title', titleOperators));
  await expectError(t, [['title__proto__', 'x']], unknownOperator('title__proto__', 'proto', 'title', titleOperators));
});

test('a negation the operator does not allow → 400; allowed negations invert the operator', async (t) => {
  const refused = (key: string, op: string, field: string) =>
    `Invalid filter ${JSON.stringify(key)}: operator ${JSON.stringify(op)} of field ${JSON.stringify(field)} cannot be negated.`;
  await expectError(t, [['views__not__gt', '5']], refused('views__not__gt', 'gt', 'views'));
  await expectError(t, [['title__not', 'x']], refused('title__not', 'exact', 'title'));
  await expectError(t, [['created__not__exists', 'true']], refused('created__not__exists', 'exists', 'created'));
  await expectPosts(t, [['views__not__gte', '10']], ['B', 'C', 'E', 'G']);
  await expectPosts(t, [['views__not__ne', '5']], ['C']);
  await expectPosts(t, [['title__not__contains', 'Hello']], ['B', 'C', 'D', 'F', 'G']);
  await expectPosts(t, [['title__not__istartswith', 'hello']], ['C', 'D', 'E', 'G']);
  await expectPosts(t, [['title__not__in', 'a\\,b,hello again']], ['A', 'D', 'E', 'F', 'G']);
});

test('a key naming no declared filter is ignored on reads', async (t) => {
  await expectPosts(t, 'titel=Hello&flag&debug=1', all);
  await expectPosts(t, 'titel=Hello&views__gt=50', ['D']);
});

test('several filters are ANDed', async (t) => {
  await expectPosts(t, [['views__gt', '5'], ['tags', 'tech']], ['A', 'E', 'F']);
  await expectPosts(t, [['title__istartswith', 'hello'], ['title__iendswith', 'WORLD']], ['A', 'F']);
  await expectPosts(t, [['title__startswith', 'H'], ['title__endswith', 'd']], ['A']);
  await expectPosts(t, [['content__lang', 'de'], ['views__lt', '10']], ['E']);
  await expectPosts(t, [['views__gt', '5'], ['views__lt', '50']], ['A', 'E', 'F']);
});

test('repeated keys: only the first value counts, unless the operator takes lists', async (t) => {
  await expectPosts(t, [['views', '10'], ['views', '0']], ['A']);
  await expectPosts(t, [['title__contains', 'World'], ['title__contains', 'zzz']], ['A', 'E']);
  await expectPosts(t, [['title__in', 'a\\,b'], ['title__in', 'hello again']], ['B', 'C']);
  await expectPosts(t, [['views__in', '10'], ['views__in', '0,5']], ['A', 'B', 'C']);
  await expectPosts(t, [['title__nin', 'a\\,b'], ['title__nin', 'hello again']], ['A', 'D', 'E', 'F', 'G']);
});

// ---- In / Nin -------------------------------------------------------------------------------------

test('In with an empty value matches nothing; Nin with an empty value matches everything', async (t) => {
  await expectPosts(t, [['title__in', '']], []);
  await expectPosts(t, [['views__in', '']], []);
  await expectPosts(t, [['title__in', ',']], []);
  await expectPosts(t, [['title__nin', '']], all);
  await expectPosts(t, [['views__nin', '']], all);
  await expectPosts(t, [['title__not__in', '']], all);
});

test('In: values with commas are written with \\, (and a backslash as \\\\)', async (t) => {
  await expectPosts(t, [['title__in', 'a\\,b']], ['C']);
  await expectPosts(t, [['title__in', 'a,b']], []);
  await expectPosts(t, [['title__in', 'Hello World,a\\,b']], ['A', 'C']);
  await expectPosts(t, [['title__in', 'Regex .* (a+)+$ \\\\ chars']], ['D']);
  // A backslash before anything else is kept as it is.
  await expectPosts(t, [['title__in', 'Regex .* (a+)+$ \\ chars']], ['D']);
});

// ---- injection ------------------------------------------------------------------------------------

test('nothing the client sends becomes a query operator', async (t) => {
  await expectPosts(t, 'title[$ne]=x', all);
  await expectPosts(t, 'title[$gt]=&views[$gt]=1000', all);
  await expectPosts(t, 'title=[$ne]', []);
  await expectPosts(t, `title=${encodeURIComponent('{"$gt":""}')}`, ['G']);
  await expectPosts(t, `title__in=${encodeURIComponent('{"$gt":""}')}`, ['G']);
  await expectError(t, [['views', '{"$gt":0}']], invalidValue('views', 'a number', '{"$gt":0}'));
  await expectPosts(t, '__proto__=x&constructor=x&toString=1&hasOwnProperty=1', all);
  await expectPosts(t, '__proto__[title]=x&constructor[prototype][x]=1', all);
  await expectPosts(t, '$where=1&$or[0][title]=x&$expr=1', all);
  await expectPosts(t, `id[$ne]=${api().ids.posts.A}`, all);
});

test('very long values: a clean 400 (or 200 when ignored), quickly; never a 500', async (t) => {
  const { bigServer, server } = api();
  const long = 'a'.repeat(100_000);
  const started = Date.now();
  const cases: Array<[string, number, unknown]> = [
    [`title__contains=${long}`, 400, { error: 'Invalid value for filter "title__contains": longer than 200 characters.' }],
    [`title__icontains=${'a'.repeat(201)}`, 400, { error: 'Invalid value for filter "title__icontains": longer than 200 characters.' }],
    [`title=${long}`, 400, { error: 'Invalid value for filter "title": longer than 10000 characters.' }],
    [`title__in=${'a,'.repeat(50_000)}`, 400, { error: 'Invalid value for filter "title__in": longer than 10000 characters.' }],
    [`flag=${long}`, 200, undefined],
    [`title=${'x'.repeat(10_000)}`, 200, { data: [], has_more: false }],
    [`title__contains=${'a'.repeat(200)}`, 200, { data: [], has_more: false }],
    [`title__icontains=${encodeURIComponent('(a+)+'.repeat(40))}`, 200, { data: [], has_more: false }],
  ];
  for (const [query, status, body] of cases) {
    const response = await request(bigServer).get(`/api/posts/?${query}&_fields=title`);
    t.is(response.status, status, query.slice(0, 40));
    if (body !== undefined) t.deepEqual(response.body, body);
    else t.is(response.body.data.length, 7);
  }
  t.true(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  // Behind Node's default limits the request line itself is refused before the app sees it.
  const refused = await request(server).get(`/api/posts/?title=${long}`);
  t.is(refused.status, 431);
});

test('text operators accept 200 characters by default, configurable per operator (option or class)', (t) => {
  class LongText extends ops.IContains {
    protected override get defaultMaxLength(): number {
      return 500;
    }
  }
  for (const Text of [ops.IExact, ops.Contains, ops.IContains, ops.Startswith, ops.IStartswith, ops.Endswith, ops.IEndswith]) {
    t.is(new Text().maxLength, 200, Text.name);
  }
  t.is(new ops.IContains({ maxLength: 1000 }).maxLength, 1000);
  t.is(new LongText().maxLength, 500);
  t.is(new LongText({ maxLength: 50 }).maxLength, 50);
  t.is(new ops.Exact().maxLength, 10_000);
  t.is(new ops.In().maxLength, 10_000);
  const target = { ...postTarget(), filters: { title: [new ops.IContains({ maxLength: 300 })], 'content.text': [LongText] } };
  compileFilters(target, 'PostResource');
  const filterOf = (query: Record<string, string>) => () => buildFilter(query, target, { strict: false });
  t.notThrows(filterOf({ title__icontains: 'a'.repeat(300) }));
  t.throws(filterOf({ title__icontains: 'a'.repeat(301) }), { message: 'Invalid value for filter "title__icontains": longer than 300 characters.' });
  t.notThrows(filterOf({ content__text__icontains: 'a'.repeat(500) }));
  t.throws(filterOf({ content__text__icontains: 'a'.repeat(501) }), { message: 'Invalid value for filter "content__text__icontains": longer than 500 characters.' });
});

test('regex metacharacters in text filters match literally, and fast', async (t) => {
  await expectPosts(t, [['title__contains', '.*']], ['D']);
  await expectPosts(t, [['title__contains', '.']], ['D']);
  await expectPosts(t, [['title__contains', '(a+)+$']], ['D']);
  await expectPosts(t, [['title__contains', '\\']], ['D']);
  await expectPosts(t, [['title__contains', '$']], ['D', 'G']);
  await expectPosts(t, [['title__contains', '{']], ['G']);
  await expectPosts(t, [['title__contains', '[']], []);
  await expectPosts(t, [['title__contains', '^']], []);
  await expectPosts(t, [['title__contains', 'a|W']], []);
  await expectPosts(t, [['title__startswith', 'Regex .*']], ['D']);
  await expectPosts(t, [['title__startswith', '.*']], []);
  await expectPosts(t, [['title__endswith', '\\ chars']], ['D']);
  await expectPosts(t, [['title__endswith', '$']], []);
  await expectPosts(t, [['title__icontains', 'A+)']], ['D']);
  await expectPosts(t, [['title__iexact', 'REGEX .* (A+)+$ \\ CHARS']], ['D']);
  await expectPosts(t, [['title__contains', '\u2028']], []);
  await expectPosts(t, [['title__contains', '\0']], []);
  await expectPosts(t, [['title__iexact', '\\u0041']], []);
  const started = Date.now();
  await expectPosts(t, [['title__contains', `${'a'.repeat(199)}!`]], []);
  await expectPosts(t, [['title__icontains', '(a|a)*'.repeat(33)]], []);
  t.true(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});

// ---- bulk writes ----------------------------------------------------------------------------------

test('bulk update: a key naming no declared filter is a 400 and nothing is written', async (t) => {
  const { server, models } = api();
  await models.Ticket.create([
    { title: 't1', status: 'open', owner: 'nobody', batch: 'strict' },
    { title: 't2', status: 'closed', owner: 'nobody', batch: 'strict' },
    { title: 't3', status: 'open', owner: 'nobody', batch: 'strict' },
  ]);
  const owners = async () => {
    const response = await request(server).get('/api/tickets/?batch=strict&_fields=title,owner');
    t.is(response.status, 200);
    return Object.fromEntries((response.body.data as Array<{ title: string; owner: string }>).map((row) => [row.title, row.owner]));
  };
  const refused: Array<[string, string]> = [
    ['batch=strict&statuss=open', 'Unknown filter "statuss".'],
    ['statuss=open', 'Unknown filter "statuss".'],
    ['title[$ne]=x', 'Unknown filter "title[$ne]".'],
    ['__proto__=x', 'Unknown filter "__proto__".'],
    ['batch=strict&status__foo=open', unknownOperator('status__foo', 'foo', 'status', '(no suffix), exact, in')],
    ['batch=strict&status__not=open', 'Invalid filter "status__not": operator "exact" of field "status" cannot be negated.'],
  ];
  for (const [query, error] of refused) {
    const response = await request(server).put(`/api/tickets/?${query}`).send({ owner: 'bob' });
    t.deepEqual([response.status, response.body], [400, { error }], query);
  }
  t.deepEqual(await owners(), { t1: 'nobody', t2: 'nobody', t3: 'nobody' });
  const applied = await request(server).put('/api/tickets/?batch=strict&status=open').send({ owner: 'bob' });
  t.deepEqual([applied.status, applied.body], [200, { count: 2 }]);
  t.deepEqual(await owners(), { t1: 'bob', t2: 'nobody', t3: 'bob' });
});

// ---- composition ----------------------------------------------------------------------------------

test('filters compose with _order_by, _skip/_limit, _count and _fields', async (t) => {
  const { server } = api();
  let response = await request(server).get('/api/posts/?views__gt=0&_order_by=-views&_skip=1&_limit=2&_count=1&_fields=title,views');
  t.deepEqual([response.status, response.body], [
    200,
    { data: [{ title: titles.F, views: 42 }, { title: titles.A, views: 10 }], has_more: true, total: 5 },
  ]);
  response = await request(server).get('/api/posts/?tags=tech&_count=1&_limit=1&_order_by=title&_fields=title');
  t.deepEqual([response.status, response.body], [200, { data: [{ title: titles.F }], has_more: true, total: 3 }]);
  response = await request(server).get('/api/posts/?tags=nothing&_count=1&_fields=title');
  t.deepEqual([response.status, response.body], [200, { data: [], has_more: false, total: 0 }]);
});

test('filters compose with hasReadPermission, and can never widen it', async (t) => {
  const { server } = api();
  let response = await request(server).get('/api/published/?views__gt=5&_count=1&_fields=title&_order_by=title');
  t.deepEqual([response.status, response.body], [200, { data: [{ title: titles.F }, { title: titles.A }], has_more: false, total: 2 }]);
  response = await request(server).get('/api/published/?is_published=false&_count=1');
  t.deepEqual([response.status, response.body], [200, { data: [], has_more: false, total: 0 }]);
  await expectPosts(t, [['is_published__not', 'true']], [], '/api/published/');
  await expectPosts(t, [['title__in', 'hello again,a\\,b']], ['C'], '/api/published/');
});

// ---- operators: index-friendly shapes, custom operators, configuration ----------------------------

function postTarget(): FilterTarget {
  const { PostResource } = filtersApp(api().models);
  return filterTargetOf(new PostResource());
}

test('a NUL in an exact filter value is plain data: nothing matches (FerretDB over PostgreSQL: a 400, nothing to search)', async (t) => {
  if (api().database.ferretBackend === 'postgresql') {
    // That server can neither store nor search for NUL in a string (server-capabilities.test.ts) where it
    // pushes the condition down to PostgreSQL, as for equality; nothing was written, so the value is the
    // client's to change.
    t.log('known-unsupported on FerretDB over PostgreSQL: a string with NUL cannot be searched for');
    await expectError(t, [['title', '\0']], 'The database cannot store or search for a NUL character (\\u0000) in a string.');
    return;
  }
  await expectPosts(t, [['title', '\0']], []);
  await expectPosts(t, [['title__in', 'a,\0']], []);
});

test('case-sensitive prefix filters are anchored regexes (index-friendly); text is escaped', (t) => {
  const target = postTarget();
  // JSON drops the trust marks (symbols) so the shapes compare plainly.
  const build = (query: Record<string, string>): unknown => JSON.parse(JSON.stringify(buildFilter(query, target, { strict: false })));
  t.deepEqual(build({ title__startswith: 'Regex .*' }), { $and: [{ title: { $regex: '^Regex \\.\\*' } }] });
  t.deepEqual(build({ title__istartswith: 'a+' }), { $and: [{ title: { $regex: '^a\\+', $options: 'i' } }] });
  t.deepEqual(build({ title__endswith: '(x)' }), { $and: [{ title: { $regex: '\\(x\\)\\z' } }] });
  t.deepEqual(build({ title__iexact: 'a|b' }), { $and: [{ title: { $regex: '^a\\|b\\z', $options: 'i' } }] });
  t.deepEqual(build({ title__contains: 'nul\0[\\]' }), { $and: [{ title: { $regex: 'nul\\x00\\[\\\\\\]' } }] });
  t.deepEqual(build({ title__not__contains: '?' }), { $and: [{ title: { $not: { $regex: '\\?' } } }] });
  t.deepEqual(build({ views__gte: '3', _limit: '1', _order_by: 'x' }), { $and: [{ views: { $gte: 3 } }] });
  t.deepEqual(build({ 'title[$ne]': 'x', __proto__x: '1', $where: '1' }), {});
});

test('the built filter passes mongoose.sanitizeFilter unchanged: only the operators’ own objects are trusted', async (t) => {
  const query = { views__in: '1,10,42', title__ne: 'x', tags__size: '2', is_published: '1' };
  const filter = buildFilter(query, postTarget(), { strict: false });
  const plain = JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
  t.deepEqual(plain, {
    $and: [{ views: { $in: [1, 10, 42] } }, { title: { $ne: 'x' } }, { tags: { $size: 2 } }, { is_published: { $eq: true } }],
  });
  t.deepEqual(JSON.parse(JSON.stringify(mongoose.sanitizeFilter(filter))), plain);
  // Apps that turn sanitizeFilter on for their queries get the same results.
  const found = await api().models.Post.find(buildFilter(query, postTarget(), { strict: false })).setOptions({ sanitizeFilter: true }).lean();
  t.deepEqual(found.map((doc) => doc.title), [titles.A]);
  // The same shapes without the trust marks are neutralized by sanitizeFilter.
  t.deepEqual(JSON.parse(JSON.stringify(mongoose.sanitizeFilter(plain))), {
    $and: [
      { views: { $eq: { $in: [1, 10, 42] } } },
      { title: { $eq: { $ne: 'x' } } },
      { tags: { $eq: { $size: 2 } } },
      { is_published: { $eq: true } },
    ],
  });
});

test('custom operator: subclass Operator, parse the text, build the condition', async (t) => {
  await expectPosts(t, [['created__year', '2024']], ['A', 'B', 'D', 'F']);
  await expectPosts(t, [['created__not__year', '2024']], ['C', 'G']);
  await expectError(t, [['created__year', '24']], invalidValue('created__year', 'a four-digit year', '24'));
});

test('a custom operator that builds an untrusted operator object fails loudly (500, logged), never silently', async (t) => {
  const { server, errors } = api();
  const before = errors.length;
  const response = await request(server).get('/api/broken/?views__untrusted=1');
  t.deepEqual([response.status, response.body], [500, { error: 'Internal Server Error' }]);
  const logged = errors.slice(before).find((error) => error instanceof TypeError) as TypeError | undefined;
  t.regex(logged?.message ?? '', /Untrusted\.prepareQuery built an operator object for "views" without mongoose\.trusted\(\)/);
});

test('configuration mistakes throw a TypeError when the filters are compiled', (t) => {
  const target = postTarget();
  const compile = (filters: Record<string, unknown>) => () =>
    compileFilters({ ...target, filters: filters as FilterTarget['filters'] }, 'PostResource');
  class Not extends Operator {
    readonly op = 'not';
    prepareQuery(): Record<string, unknown> {
      return {};
    }
  }
  const mistakes: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ views: [ops.Contains] }, 'PostResource.filters["views"]: Contains cannot filter "views": it is a Number, not text.'],
    [{ title: [ops.Size] }, 'PostResource.filters["title"]: Size cannot filter "title": it is a String, not an array.'],
    [{ title: [ops.Exact, ops.Boolean] }, 'PostResource.filters["title"]: Exact and Boolean both answer to the suffix "".'],
    [{ title: [String] }, /^PostResource\.filters\["title"\]: .* is neither an Operator subclass nor an instance of one\.$/],
    [{ title: ops.Exact }, 'PostResource.filters["title"] must be a list of operators.'],
    [{ title: [Not] }, 'PostResource.filters["title"]: Not has an unusable suffix "not".'],
    [{ title: [new ops.In({ maxLength: -1 })] }, 'PostResource.filters["title"]: maxLength of In must be a non-negative integer.'],
    [{ titel: [ops.Exact] }, 'PostResource.filters["titel"]: Exact cannot filter "titel": the schema has no such path.'],
    [{ 'content.txt': [ops.IContains] }, 'PostResource.filters["content.txt"]: IContains cannot filter "content.txt": the schema has no such path.'],
    [{ '': [ops.Exact] }, 'PostResource.filters: a filter name must not be empty.'],
  ];
  for (const [filters, message] of mistakes) t.throws(compile(filters), { instanceOf: TypeError, message });
  class Search extends Operator {
    readonly op = '';
    override checkPath(): void {} // filters a key of its own, not a schema path
    prepareQuery(_field: string, value: unknown): Record<string, unknown> {
      return { $or: [this.condition('title', { $eq: value }), this.condition('content.text', { $eq: value })] };
    }
  }
  t.notThrows(compile({ tags: [ops.Contains, ops.Size], 'content.text': [ops.IContains], content: [ops.Exists], q: [Search] }));
});

test('paths only a discriminator (child type) has are filterable and cast by their type', (t) => {
  const connection = api().models.Post.db;
  const Vehicle = connection.model('Vehicle', new mongoose.Schema({ make: String }, { discriminatorKey: 'kind' }));
  Vehicle.discriminator('Car', new mongoose.Schema({ doors: Number }));
  const target: FilterTarget = { schema: Vehicle.schema, filters: { doors: [ops.Gt], make: [ops.Exact] }, toInternalPath: (path) => path };
  t.deepEqual(JSON.parse(JSON.stringify(buildFilter({ doors__gt: '2' }, target, { strict: false }))), { $and: [{ doors: { $gt: 2 } }] });
  t.throws(() => buildFilter({ doors__gt: 'two' }, target, { strict: false }), {
    message: 'Invalid value for filter "doors__gt": expected a number (got "two").',
  });
});

test('filter configuration mistakes throw at registration', (t) => {
  const { Post } = api().models;
  class BadResource extends Resource {
    document = Post;
    filters = { views: [ops.Startswith] };
  }
  class BadView extends ResourceView {
    resource = BadResource;
    methods = [methods.List];
  }
  t.throws(() => new TestMongoRest().register(BadView), {
    instanceOf: TypeError,
    message: 'BadResource.filters["views"]: Startswith cannot filter "views": it is a Number, not text.',
  });
});

test('the operator table in docs/filters.md matches the code', async (t) => {
  const markdown = await readFile(new URL('../docs/filters.md', import.meta.url), 'utf8');
  const section = markdown.slice(markdown.indexOf('## Operators'), markdown.indexOf('## Values'));
  const documented = new Map<string, string[]>();
  for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
    const [names = '', suffixes = ''] = line.split('|').slice(1, 3);
    const classes = [...names.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!);
    const codes = [...suffixes.matchAll(/`([^`]*)`/g)].map((match) => (match[1] === '""' ? '' : match[1]!));
    // One suffix per class (`Lt` `Lte` … ↔ `lt` `lte` …), or every suffix for a single class.
    classes.forEach((name, index) => documented.set(name, classes.length > 1 ? [codes[index]!] : codes));
  }
  const exported = Object.entries(ops).filter(
    (entry): entry is [string, new () => Operator] => typeof entry[1] === 'function' && entry[1].prototype instanceof Operator,
  );
  t.deepEqual([...documented.keys()].sort(), exported.map(([name]) => name).sort());
  for (const [name, OperatorClass] of exported) t.deepEqual([...new OperatorClass().suffixes], documented.get(name), name);
});

// ---- value syntax units ---------------------------------------------------------------------------

test('list syntax: commas split, \\, and \\\\ escape, empty items are dropped', (t) => {
  t.deepEqual(splitListValue(''), []);
  t.deepEqual(splitListValue('a,b'), ['a', 'b']);
  t.deepEqual(splitListValue('a\\,b,c'), ['a,b', 'c']);
  t.deepEqual(splitListValue('a\\\\,b'), ['a\\', 'b']);
  t.deepEqual(splitListValue('C:\\x,,y,'), ['C:\\x', 'y']);
  t.deepEqual(splitListValue('trailing\\'), ['trailing\\']);
});

test('ISO 8601 dates: zones, fractions, leap years', (t) => {
  t.is(parseDate('2024-02-29').toISOString(), '2024-02-29T00:00:00.000Z');
  t.is(parseDate('2000-02-29T23:59:59.9999Z').toISOString(), '2000-02-29T23:59:59.999Z');
  t.is(parseDate('2024-06-01T00:30-01:30').toISOString(), '2024-06-01T02:00:00.000Z');
  t.is(parseDate('0099-01-01').toISOString(), '0099-01-01T00:00:00.000Z');
  t.is(parseDate('2024-06-01 08:00+02').toISOString(), '2024-06-01T06:00:00.000Z');
  for (const bad of ['1900-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-06-01T12:60', '2024-06-01Z', '+2024-06-01']) {
    t.throws(() => parseDate(bad), undefined, bad);
  }
});
