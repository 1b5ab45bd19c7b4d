/**
 * Property: whatever keys and values a client sends — declared fields with random or hostile suffixes,
 * prototype keys, operator-looking keys and values, regex metacharacters, invalid UTF-8, malformed
 * percent-escapes — a list (or bulk-update) request answers 200 or a clean 400, never a 5xx.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import request from 'supertest';
import { useFiltersApi } from './fixtures/filters-api.js';

const api = useFiltersApi(test, import.meta.url);

const postFields = ['title', 'id', 'views', 'created', 'is_published', 'author_id', 'tags', 'scores', 'checkins', 'content', 'content__lang', 'content__text'] as const;
const segments = [
  'not', 'exact', 'iexact', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'nin', 'contains', 'icontains', 'startswith', 'istartswith',
  'endswith', 'iendswith', 'exists', 'size', 'year', 'untrusted', '', '$ne', '$gt', '$where', '__proto__', 'proto', 'constructor',
  'prototype', 'lang', 'text', 'foo',
];
const hostileKeys = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'title[$ne]', 'title[$gt]', '$where', '$or[0][title]',
  '$expr', 'views[$gt]', '__proto__[title]', 'constructor[prototype][x]', '_limit', '_skip', '_order_by', '_count', '_fields',
  'content.lang', 'author', '',
];
const hostileValues = [
  '', '{"$gt":""}', '{"$ne":null}', '[$ne]', '$ne', '.*', '(a+)+$', '\\', '\\\\', '\\,', ',', ',,', '\0', '\u2028', '\uFFFF',
  'true', 'false', '1', '0', '-1', '1e400', '-0', 'NaN', 'Infinity', '0x10', '2024-01-01', '2024-02-30', '2024-01-01T10:00:00+02:00',
  '000000000000000000000000', 'ffffffffffffffffffffffff', `${'a'.repeat(40)}!`, '(a|a)*'.repeat(20), '^', '$', '[', ']', '{', '}',
  '(', ')', '*', '+', '?', '|', '[a-', 'a{2,1}', '(?<', '\\k', '\\p{', '\\u0041', '*+', '(?', '\\',
];
/** Raw fragments that are not valid percent-encoding or split pairs oddly. */
const rawFragments = ['%', '%Z', '%ZZ', '%E2%82', '%ED%A0%80', '%C0%80', '%00', '+', '&', '=', '==', '%26', '%3D', '%5B%24ne%5D'];

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as a browser would send). */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

const operatorSuffixes = [
  '', 'exact', 'iexact', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'nin', 'contains', 'icontains', 'startswith', 'istartswith',
  'endswith', 'iendswith', 'exists', 'size', 'year',
];

const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileValues) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.constantFrom('a', ',', '\\', 'x', '$', '.', '(', ')', '[', ']', '*', '+', '?', '{', '}', '|', '^', '\0'), { maxLength: 40 })
      .map((parts) => parts.join('')),
  },
);

/**
 * Query strings of 1–3 pairs for an endpoint whose declared filter fields are `fields` (the first one is
 * picked more often: give the field with the most operators). Keys are mostly well formed (a declared
 * field, maybe `not`, an operator suffix declared on it or not), else a declared field followed by
 * anything, a hostile key or random text (`wellFormedWeight` in 12 are well formed by default; their
 * suffixes are drawn from `suffixes`); a few pairs are raw, malformed percent-encoding.
 */
function queryStrings(
  fields: readonly [string, ...string[]],
  { wellFormedWeight = 6, suffixes = operatorSuffixes }: { wellFormedWeight?: number; suffixes?: readonly string[] } = {},
): fc.Arbitrary<string> {
  const field = fc.oneof(fc.constant(fields[0]), fc.constantFrom(...fields));
  const wellFormedKey = fc
    .tuple(field, fc.boolean(), fc.constantFrom(...suffixes))
    .map(([name, negate, suffix]) => [name, ...(negate ? ['not'] : []), ...(suffix ? [suffix] : [])].join('__'));
  const declaredKey = fc
    .tuple(field, fc.array(fc.oneof(fc.constantFrom(...segments), fc.string({ maxLength: 6 })), { maxLength: 3 }))
    .map(([name, rest]) => [name, ...rest].join('__'));
  const key = fc.oneof(
    { weight: wellFormedWeight, arbitrary: wellFormedKey },
    { weight: 3, arbitrary: declaredKey },
    { weight: 2, arbitrary: fc.constantFrom(...hostileKeys) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  );
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(key, value).map(([k, v]) => `${encode(k)}=${encode(v)}`) },
    { weight: 1, arbitrary: fc.tuple(key, fc.constantFrom(...rawFragments)).map(([k, raw]) => `${encode(k)}=${raw}`) },
    { weight: 1, arbitrary: fc.constantFrom(...rawFragments) },
  );
  return fc.array(pair, { minLength: 1, maxLength: 3 }).map((pairs) => pairs.join('&'));
}

/** The property stays meaningful only if both outcomes happen often (fast-check also replays shrunk runs). */
function checkMix(t: ExecutionContext, answers: Record<number, number>, least200: number): void {
  t.log('answers by status:', JSON.stringify(answers));
  t.true((answers[200] ?? 0) >= least200 && (answers[400] ?? 0) >= 10, JSON.stringify(answers));
}

test.serial('random and hostile filter keys and values never get a 5xx on a list endpoint', async (t) => {
  const { bigServer, errors } = api();
  const before = errors.length;
  const answers: Record<number, number> = {};
  await fc.assert(
    fc.asyncProperty(queryStrings(postFields), fc.constantFrom('/api/posts/', '/api/published/'), async (query, base) => {
      const response = await request(bigServer).get(`${base}?${query}`);
      const ok = response.status === 200 && Array.isArray(response.body.data);
      const refused = response.status === 400 && typeof response.body.error === 'string';
      if (!ok && !refused) throw new Error(`${response.status} ${JSON.stringify(response.body)} for ${base}?${query}`);
      answers[response.status] = (answers[response.status] ?? 0) + 1;
    }),
    { numRuns: 200 },
  );
  t.deepEqual(errors.slice(before), []);
  checkMix(t, answers, 10);
});

test.serial('random and hostile filter keys and values never get a 5xx on a bulk update', async (t) => {
  const { bigServer, errors, models } = api();
  await models.Ticket.create([{ title: 'p1', status: 'open', batch: 'property' }, { title: 'p2', status: 'closed', batch: 'property' }]);
  const before = errors.length;
  const answers: Record<number, number> = {};
  await fc.assert(
    fc.asyncProperty(queryStrings(['status', 'batch'], { wellFormedWeight: 30, suffixes: ['', 'exact', 'in', 'nin', 'contains'] }), async (query) => {
      const response = await request(bigServer).put(`/api/tickets/?${query}`).send({});
      const ok = response.status === 200 && typeof response.body.count === 'number';
      const refused = response.status === 400 && typeof response.body.error === 'string';
      if (!ok && !refused) throw new Error(`${response.status} ${JSON.stringify(response.body)} for ?${query}`);
      answers[response.status] = (answers[response.status] ?? 0) + 1;
    }),
    { numRuns: 100 },
  );
  t.deepEqual(errors.slice(before), []);
  // Strict mode refuses most random keys by design; a typo can never widen a write.
  checkMix(t, answers, 2);
});
