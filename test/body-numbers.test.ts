/**
 * Numbers in bodies are stored as sent or refused, never changed (issue 10, item 6): Number paths take
 * JSON numbers and plain decimal strings only (no hex, spaces, empty string, exponent, booleans), and a
 * JSON number that a 64-bit float cannot hold exactly (integers beyond ±(2^53 − 1), 30-digit integers,
 * over-long fractions, underflow) is a 400 `field-errors` naming its path — at the top level, in nested
 * objects, sub-documents, arrays of numbers, free-form data and nested writes (saveRelatedFields).
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type RequestContext } from '../lib/index.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const INTEGER_OUT_OF_RANGE = 'Must be an integer between -9007199254740991 and 9007199254740991 (send larger ones as strings).';
const IMPRECISE = 'Has more precision than a 64-bit number holds (send it as a string).';

function build(connection: Connection) {
  const Bin = connection.model('Bin', new mongoose.Schema({ label: String, capacity: Number, tag: String }));
  const Measure = connection.model(
    'Measure',
    new mongoose.Schema({
      tag: String,
      count: Number,
      scores: [Number],
      size: { width: Number },
      parts: [{ weight: Number }],
      main: new mongoose.Schema({ weight: Number }),
      extra: mongoose.Schema.Types.Mixed,
      bin: { type: mongoose.Schema.Types.ObjectId, ref: 'Bin' },
    }),
  );
  class BinResource extends Resource {
    document = Bin;
  }
  class MeasureResource extends Resource {
    document = Measure;
    override renameFields = { count: 'amount' };
    override relatedResources = { bin: BinResource };
    override saveRelatedFields = ['bin'];
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  class MeasureView extends ResourceView {
    resource = MeasureResource;
    methods = [methods.Create, methods.Update, methods.BulkUpdate, methods.Fetch];
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(MeasureView, { url: '/measures/' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Measure, Bin };
}

const env = useApp(test, import.meta.url, build);

/** POSTs `json` (text, so that number tokens reach the server exactly as written) with a fresh tag added. */
async function post(json: string) {
  const tag = uniqueTag('num');
  const res = await request(env().server)
    .post('/api/measures/')
    .set('X-Tag', tag)
    .set('Content-Type', 'application/json')
    .send(json.replace('{', `{"tag":"${tag}",`));
  return { res, tag, stored: await env().Measure.find({ tag }).lean() };
}

// ---- the top-level Number path (renamed: errors use the API name) --------------------------------------

/** [JSON value as written, the number stored]. */
const accepted: readonly [string, number | null][] = [
  ['12', 12],
  ['-3', -3],
  ['0.1', 0.1],
  ['1.5e3', 1500],
  ['1e300', 1e300],
  ['5e-324', 5e-324],
  ['0.30000000000000004', 0.30000000000000004],
  ['1.00000000000000000000', 1],
  ['9007199254740991', 9007199254740991],
  ['-9007199254740991', -9007199254740991],
  ['null', null],
  ['"12"', 12],
  ['"-1.5"', -1.5],
  ['"007"', 7],
  ['"0.1"', 0.1],
  ['"9007199254740991"', 9007199254740991],
];

for (const [value, stored] of accepted) {
  test(`amount ${value} is stored as ${String(stored)}`, async (t) => {
    const { res, stored: docs } = await post(`{"amount": ${value}}`);
    t.is(res.status, 201, JSON.stringify(res.body));
    t.is(res.body.amount, stored);
    t.deepEqual(
      docs.map((doc) => doc.count),
      [stored ?? null],
    );
  });
}

/** [JSON value as written, the field error]. */
const refused: readonly [string, string][] = [
  ['"0x10"', 'Cast to Number failed for value "0x10" (type string)'],
  ['"0b11"', 'Cast to Number failed for value "0b11" (type string)'],
  ['" 1"', 'Cast to Number failed for value " 1" (type string)'],
  ['"1 "', 'Cast to Number failed for value "1 " (type string)'],
  ['"\\n1"', 'Cast to Number failed for value "\\n1" (type string)'],
  ['""', 'Cast to Number failed for value "" (type string)'],
  ['"+1"', 'Cast to Number failed for value "+1" (type string)'],
  ['"1e3"', 'Cast to Number failed for value "1e3" (type string)'],
  ['".5"', 'Cast to Number failed for value ".5" (type string)'],
  ['"5."', 'Cast to Number failed for value "5." (type string)'],
  ['"1_000"', 'Cast to Number failed for value "1_000" (type string)'],
  ['"1,5"', 'Cast to Number failed for value "1,5" (type string)'],
  ['"Infinity"', 'Must be a finite number.'],
  ['"-1e999"', 'Must be a finite number.'],
  ['"NaN"', 'Cast to Number failed for value "NaN" (type string)'],
  ['"１２"', 'Cast to Number failed for value "１２" (type string)'],
  ['true', 'Cast to Number failed for value true (type boolean)'],
  ['false', 'Cast to Number failed for value false (type boolean)'],
  ['[1]', 'Cast to Number failed for value [1] (type Array)'],
  ['{"n": 1}', 'Cast to Number failed for value {"n":1} (type Object)'],
  ['9007199254740992', INTEGER_OUT_OF_RANGE],
  ['-9007199254740992', INTEGER_OUT_OF_RANGE],
  ['9007199254740993', INTEGER_OUT_OF_RANGE],
  ['12345678901234567890', INTEGER_OUT_OF_RANGE],
  ['123456789012345678901234567890', INTEGER_OUT_OF_RANGE],
  ['"12345678901234567890"', INTEGER_OUT_OF_RANGE],
  ['0.1234567890123456789', IMPRECISE],
  ['1.00000000000000000001', IMPRECISE],
  ['123456789012345678901234567890.5', IMPRECISE],
  ['1e-400', IMPRECISE],
  ['1E-400', IMPRECISE],
  ['1.5e-400', IMPRECISE],
  ['-2e-0400', IMPRECISE],
  ['"0.1234567890123456789"', IMPRECISE],
];

for (const [value, message] of refused) {
  test(`amount ${value} → 400 field-errors, nothing stored`, async (t) => {
    const { res, stored } = await post(`{"amount": ${value}}`);
    assertJson(t, res, 400, { 'field-errors': { amount: message } });
    t.is(stored.length, 0);
  });
}

// ---- deeper: arrays of numbers, nested objects, sub-documents, free-form data ---------------------------

const deeper: readonly [string, string, Record<string, string>][] = [
  ['an array of numbers (string)', '{"scores": [1, "0x10", 3]}', { 'scores.1': 'Cast to Number failed for value "0x10" (type string)' }],
  ['an array of numbers (big integer)', '{"scores": [1, 2, 12345678901234567890]}', { 'scores.2': INTEGER_OUT_OF_RANGE }],
  ['a nested object', '{"size": {"width": " 2"}}', { 'size.width': 'Cast to Number failed for value " 2" (type string)' }],
  ['a nested object (imprecise)', '{"size": {"width": 0.1234567890123456789}}', { 'size.width': IMPRECISE }],
  ['a sub-document array', '{"parts": [{"weight": 1}, {"weight": ""}]}', { 'parts.1.weight': 'Cast to Number failed for value "" (type string)' }],
  ['a single sub-document', '{"main": {"weight": true}}', { 'main.weight': 'Cast to Number failed for value true (type boolean)' }],
  ['a single sub-document (big integer)', '{"main": {"weight": 99999999999999999999}}', { 'main.weight': INTEGER_OUT_OF_RANGE }],
  ['free-form (Mixed) data', '{"extra": {"ids": [123456789012345678901234567890]}}', { 'extra.ids.0': INTEGER_OUT_OF_RANGE }],
  [
    'free-form data under a key with an escaped quote, next to a string holding digits and an escaped quote',
    '{"extra": {"s": "x\\" 12345678901234567890 {", "q\\"k": [1, 12345678901234567890]}}',
    { 'extra.q"k.1': INTEGER_OUT_OF_RANGE },
  ],
  ['an array of numbers (underflow just before "]")', '{"scores": [1, 1E-400]}', { 'scores.1': IMPRECISE }],
  ['a nested object (underflow before a newline)', '{"size": {"width": 2.5e-400\n}}', { 'size.width': IMPRECISE }],
  [
    'free-form data, next to strings that read like exponents (hex ids)',
    '{"extra": {"id": "6b10e123", "n": 1e-400 , "m": "5e123"}}',
    { 'extra.n': IMPRECISE },
  ],
  [
    'several places at once',
    '{"amount": "0x1", "scores": [1e-400], "extra": {"n": 12345678901234567890}}',
    { amount: 'Cast to Number failed for value "0x1" (type string)', 'scores.0': IMPRECISE, 'extra.n': INTEGER_OUT_OF_RANGE },
  ],
];

for (const [where, body, fieldErrors] of deeper) {
  test(`a refused number in ${where} → 400 naming the path, nothing stored`, async (t) => {
    const { res, stored } = await post(body);
    // Precision problems are found in the body text, cast problems after: one kind answers at a time.
    const precision = Object.fromEntries(Object.entries(fieldErrors).filter(([, message]) => message === IMPRECISE || message === INTEGER_OUT_OF_RANGE));
    assertJson(t, res, 400, { 'field-errors': Object.keys(precision).length > 0 ? precision : fieldErrors });
    t.is(stored.length, 0);
  });
}

test('numbers and decimal strings inside arrays, nested objects and sub-documents are stored exactly', async (t) => {
  const { res, stored } = await post(
    '{"scores": [1, "2.5", 0.30000000000000004], "size": {"width": "10"}, "parts": [{"weight": "3"}], "main": {"weight": 4}, "extra": {"hex": "0x10", "n": 9007199254740991}}',
  );
  t.is(res.status, 201, JSON.stringify(res.body));
  t.like(stored[0], {
    scores: [1, 2.5, 0.30000000000000004],
    size: { width: 10 },
    parts: [{ weight: 3 }],
    main: { weight: 4 },
    // Free-form data keeps strings as strings.
    extra: { hex: '0x10', n: 9007199254740991 },
  });
});

// ---- nested writes (saveRelatedFields) -------------------------------------------------------------------

test('a nested object of saveRelatedFields with a hex string → 400 naming its path, nothing stored', async (t) => {
  const label = uniqueTag('bin');
  const { res, stored } = await post(`{"bin": {"label": "${label}", "capacity": "0x10"}}`);
  assertJson(t, res, 400, { 'field-errors': { 'bin.capacity': 'Cast to Number failed for value "0x10" (type string)' } });
  t.is(stored.length, 0);
  t.is(await env().Bin.countDocuments({ label }), 0);
});

test('a nested object of saveRelatedFields with a 30-digit integer → 400 naming its path, nothing stored', async (t) => {
  const label = uniqueTag('bin');
  const { res, stored } = await post(`{"bin": {"label": "${label}", "capacity": 123456789012345678901234567890}}`);
  assertJson(t, res, 400, { 'field-errors': { 'bin.capacity': INTEGER_OUT_OF_RANGE } });
  t.is(stored.length, 0);
  t.is(await env().Bin.countDocuments({ label }), 0);
});

test('an update of a nested saveRelatedFields document with an empty string → 400, nothing changed', async (t) => {
  const tag = uniqueTag('num');
  const bin = await env().Bin.create({ label: 'b', capacity: 5 });
  const measure = await env().Measure.create({ tag, count: 1, bin: bin._id });
  const res = await request(env().server)
    .put(`/api/measures/${String(measure._id)}/`)
    .set('X-Tag', tag)
    .send({ amount: 2, bin: { id: String(bin._id), capacity: '' } });
  assertJson(t, res, 400, { 'field-errors': { 'bin.capacity': 'Cast to Number failed for value "" (type string)' } });
  t.is((await env().Bin.findById(bin._id).lean())?.capacity, 5);
  t.is((await env().Measure.findById(measure._id).lean())?.count, 1);
});

test('a nested saveRelatedFields object with a decimal string is created with the number', async (t) => {
  const label = uniqueTag('bin');
  const { res } = await post(`{"bin": {"label": "${label}", "capacity": "16"}}`);
  t.is(res.status, 201, JSON.stringify(res.body));
  t.is((await env().Bin.findOne({ label }).lean())?.capacity, 16);
});

// ---- updates and bulk updates ----------------------------------------------------------------------------

test('PUT with a hex string for a Number path → 400, nothing changed', async (t) => {
  const tag = uniqueTag('num');
  const measure = await env().Measure.create({ tag, count: 1 });
  const res = await request(env().server).put(`/api/measures/${String(measure._id)}/`).set('X-Tag', tag).send({ amount: '0x10' });
  assertJson(t, res, 400, { 'field-errors': { amount: 'Cast to Number failed for value "0x10" (type string)' } });
  t.is((await env().Measure.findById(measure._id).lean())?.count, 1);
});

test('bulk PUT with a number beyond 2^53 → 400, nothing changed', async (t) => {
  const tag = uniqueTag('num');
  await env().Measure.create([{ tag, count: 1 }, { tag, count: 2 }]);
  const res = await request(env().server)
    .put('/api/measures/')
    .set('X-Tag', tag)
    .set('Content-Type', 'application/json')
    .send('{"amount": 18014398509481984}');
  assertJson(t, res, 400, { 'field-errors': { amount: INTEGER_OUT_OF_RANGE } });
  t.deepEqual((await env().Measure.find({ tag }).sort({ count: 1 }).lean()).map((doc) => doc.count), [1, 2]);
});

test('numbers inside strings, and long digit runs in strings, are plain text', async (t) => {
  const { res, stored } = await post('{"extra": {"id": "123456789012345678901234567890", "note": "pi is 3.14159265358979323846"}}');
  t.is(res.status, 201, JSON.stringify(res.body));
  t.deepEqual(stored[0]?.extra, { id: '123456789012345678901234567890', note: 'pi is 3.14159265358979323846' });
});

// Where the finite-number check may skip a path (strings, ids, dates and arrays of them hold no numbers),
// the paths that do hold numbers must still be checked: arrays of numbers, nested objects, sub-documents.
test('"Infinity" is refused wherever a number is stored: arrays of numbers, nested objects, sub-documents', async (t) => {
  const cases: readonly [string, string][] = [
    ['{"scores": [1, "Infinity"]}', 'scores.1'],
    ['{"size": {"width": "Infinity"}}', 'size.width'],
    ['{"parts": [{"weight": "-Infinity"}]}', 'parts.0.weight'],
    ['{"main": {"weight": "Infinity"}}', 'main.weight'],
  ];
  for (const [json, path] of cases) {
    const { res, stored } = await post(json);
    t.is(res.status, 400, json);
    t.deepEqual(res.body, { 'field-errors': { [path]: 'Must be a finite number.' } }, json);
    t.deepEqual(stored, [], json);
  }
});
