/**
 * Dates and ObjectIds are output as the strings their `toJSON` gives, made by the serializer itself
 * (lib/serialize/json-value.ts, issue 15): the formatter against the engine's `toISOString` (edges and a
 * fixed pseudo-random sample), the values left alone, and the wire format through the API — lists,
 * fetches, relations, an app's own `Date.prototype.toJSON` — which must not change at all.
 */
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, type PlainDocument, type RequestContext } from '../lib/index.js';
import { isoString, jsonValue } from '../lib/serialize/json-value.js';
import { assertJson, uniqueTag, useApp } from './fixtures/blog.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const DAY = 86_400_000;

test('isoString gives toISOString, table of edges (epoch, leap days, century rules, year and range limits)', (t) => {
  const cases: [string, number][] = [
    ['the epoch', 0],
    ['just before the epoch', -1],
    ['end of the first day', DAY - 1],
    ['2000-02-29 (leap: divisible by 400)', Date.UTC(2000, 1, 29, 12, 30, 45, 678)],
    ['1900-02-28 (no leap day: divisible by 100)', Date.UTC(1900, 1, 28, 23, 59, 59, 999)],
    ['1900-03-01', Date.UTC(1900, 2, 1)],
    ['2024-12-31T23:59:59.999Z', Date.UTC(2024, 11, 31, 23, 59, 59, 999)],
    ['2025-01-01T00:00:00.000Z', Date.UTC(2025, 0, 1)],
    ['the first day of year 1000', Date.UTC(1000, 0, 1)],
    ['the last millisecond of 9999', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['year 999 (left to the engine)', Date.UTC(999, 11, 31, 23, 59, 59, 999)],
    ['year 10000 (extended form, left to the engine)', Date.UTC(10000, 0, 1)],
    ['the earliest date', -8.64e15],
    ['the latest date', 8.64e15],
  ];
  for (const [label, time] of cases) t.is(isoString(new Date(time)), new Date(time).toISOString(), label);
});

test('isoString gives toISOString for 200,000 pseudo-random instants (years 1000–9999 and around them)', (t) => {
  // A fixed linear congruential sequence: the same sample on every run.
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const span = Date.UTC(10_050, 0, 1) - Date.UTC(950, 0, 1);
  let mismatches = 0;
  let first = '';
  for (let i = 0; i < 200_000; i++) {
    const time = Date.UTC(950, 0, 1) + Math.floor(next() * span);
    const want = new Date(time).toISOString();
    const got = isoString(new Date(time));
    if (got !== want && mismatches++ === 0) first = `${time}: ${String(got)} instead of ${want}`;
  }
  t.is(mismatches, 0, first);
});

test('an invalid date is null, as its toJSON gives', (t) => {
  t.is(isoString(new Date(Number.NaN)), null);
  t.is(jsonValue(new Date('not a date')), null);
});

test('jsonValue: dates and ObjectIds become their JSON strings; everything else is left as it is', (t) => {
  const id = new mongoose.Types.ObjectId();
  t.is(jsonValue(id), id.toHexString());
  t.is(jsonValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))), '2024-01-02T03:04:05.006Z');
  for (const value of ['text', 42, true, null, undefined]) t.is(jsonValue(value), value);
  const array = [new Date(0), id];
  t.is(jsonValue(array), array, 'arrays keep their elements (left to toJSON)');
  const object = { at: new Date(0) };
  t.is(jsonValue(object), object);
  const buffer = Buffer.from('x');
  t.is(jsonValue(buffer), buffer);
});

test('jsonValue leaves a Date subclass and a date with its own toJSON to their toJSON', (t) => {
  class LocalDate extends Date {}
  const local = new LocalDate(0);
  t.is(jsonValue(local), local);
  const own = Object.assign(new Date(0), { toJSON: () => 'own' });
  t.is(jsonValue(own), own);
});

function build(connection: Connection) {
  const Person = connection.model('Person', new mongoose.Schema({ tag: String, name: String, born: Date }));
  const Event = connection.model(
    'Event',
    new mongoose.Schema({
      tag: String,
      at: Date,
      host: { type: mongoose.Schema.Types.ObjectId, ref: 'Person' },
      guest: { type: mongoose.Schema.Types.ObjectId, ref: 'Person' },
      days: [Date],
      place: new mongoose.Schema({ name: String, opened: Date }, { _id: false }),
    }),
  );
  class PersonResource extends Resource {
    document = Person;
    override fields = ['id', 'name', 'born'];
  }
  class EventResource extends Resource {
    document = Event;
    override relatedResources = { guest: PersonResource };
    override getQueryset(ctx: RequestContext) {
      return this.document.find({ tag: ctx.get('X-Tag') });
    }
  }
  /** What an override of `serialize` receives from `super.serialize`. */
  class ShownEventResource extends EventResource {
    override async serialize(doc: PlainDocument, ctx: RequestContext) {
      const out = await super.serialize(doc, ctx);
      return { ...out, types: { at: out.at instanceof Date ? 'Date' : typeof out.at, host: typeof out.host } };
    }
  }
  class EventView extends ResourceView {
    resource = EventResource;
    methods = [methods.List, methods.Fetch];
  }
  class ShownEventView extends ResourceView {
    resource = ShownEventResource;
    methods = [methods.Fetch];
  }
  const api = new TestMongoRest({ prefix: '/api' });
  api.register(EventView, { url: '/events/' });
  api.register(ShownEventView, { url: '/shown-events/', name: 'shown-events' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return { app, Person, Event };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);

async function seed(tag: string) {
  const guest = await env().Person.create({ tag, name: 'Ada', born: new Date('1815-12-10T00:00:00Z') });
  const host = new mongoose.Types.ObjectId();
  const event = await env().Event.create({
    tag,
    at: new Date('2024-02-29T23:59:59.999Z'),
    host,
    guest: guest._id,
    days: [new Date('2024-03-01T00:00:00Z')],
    place: { name: 'Hall', opened: new Date('0999-01-01T00:00:00Z') },
  });
  const expected = {
    id: String(event._id),
    tag,
    at: '2024-02-29T23:59:59.999Z',
    host: host.toHexString(),
    guest: { id: String(guest._id), name: 'Ada', born: '1815-12-10T00:00:00.000Z' },
    days: ['2024-03-01T00:00:00.000Z'],
    place: { name: 'Hall', opened: '0999-01-01T00:00:00.000Z' },
  };
  return { id: String(event._id), expected };
}

test('dates and ids on the wire: a fetch and a list (with a related resource) answer ISO 8601 and hex strings', async (t) => {
  const tag = uniqueTag('events');
  const { id, expected } = await seed(tag);
  assertJson(t, await agent().get(`/api/events/${id}/`).set('X-Tag', tag), 200, expected);
  assertJson(t, await agent().get('/api/events/').set('X-Tag', tag), 200, { data: [expected], has_more: false });
});

test('an override of serialize receives dates and ObjectIds as the strings the client sees', async (t) => {
  const tag = uniqueTag('shown');
  const { id, expected } = await seed(tag);
  assertJson(t, await agent().get(`/api/shown-events/${id}/`).set('X-Tag', tag), 200, { ...expected, types: { at: 'string', host: 'string' } });
});

test.serial("an app's own Date.prototype.toJSON still decides how dates look", async (t) => {
  const tag = uniqueTag('local');
  const { id, expected } = await seed(tag);
  const builtin = Date.prototype.toJSON;
  // The app behaviour under test: dates formatted its own way.
  Date.prototype.toJSON = function () {
    return `local:${this.getTime()}`;
  };
  try {
    const res = await agent().get(`/api/events/${id}/`).set('X-Tag', tag);
    assertJson(t, res, 200, {
      ...expected,
      at: `local:${Date.parse(expected.at)}`,
      guest: { ...expected.guest, born: `local:${Date.parse(expected.guest.born)}` },
      days: [`local:${Date.parse(expected.days[0]!)}`],
      place: { ...expected.place, opened: `local:${Date.parse(expected.place.opened)}` },
    });
  } finally {
    Date.prototype.toJSON = builtin;
  }
});
