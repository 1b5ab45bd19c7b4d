/**
 * Polymorphic collections with Mongoose discriminators (SPEC §2 childDocumentResources,
 * defaultChildResourceDocument): Vehicle (base) with Car and Truck in one collection, each document
 * serialized by the resource of its type, created by the discriminator key (`__t`, exposed as `type`),
 * validated against its own schema; filters, `_fields` and relations work across types.
 */
import test from 'ava';
import request from 'supertest';
import mongoose from 'mongoose';
import { useRelationsApi, type LoggedQuery } from './fixtures/relations.js';

const env = useRelationsApi(test, import.meta.url);

const unique = (label: string) => `${label}-${new mongoose.Types.ObjectId().toHexString().slice(-8)}`;

/** A person, a plain vehicle, a car and a truck of one (unique) make, created in that order. */
async function garage() {
  const { Person, Vehicle, Car, Truck } = env().models;
  const make = unique('make');
  const owner = await Person.create({ name: 'Olga Owner' });
  const ownerOut = { id: owner.id, full_name: 'Olga Owner', initials: 'OO', languages: [], manager: null };
  const plain = await Vehicle.create({ make });
  const car = await Car.create({ make, doors: 4, owner: owner._id });
  const truck = await Truck.create({ make, payload: 12, owner: owner._id });
  return {
    make,
    owner,
    ownerOut,
    plain,
    car,
    truck,
    plainOut: { id: plain.id, type: null, make, owner: null },
    carOut: { id: car.id, type: 'Car', make, doors: 4, owner: ownerOut },
    truckOut: { id: truck.id, type: 'Truck', make, payload: 12, owner: ownerOut },
  };
}

test.serial('one query per relation across types; the projection keeps the discriminator key', async (t) => {
  const { server, recordQueries } = env();
  const { make, plainOut, carOut, truckOut } = await garage();
  const log = recordQueries();
  const res = await request(server).get(`/api/vehicles/?make=${make}&_order_by=make`);
  log.stop();
  t.deepEqual([res.status, res.body], [200, { data: [plainOut, carOut, truckOut], has_more: false }]);
  t.deepEqual(
    log.queries.map((query: LoggedQuery) => `${query.collection}.${query.method}`),
    ['vehicles.find', 'people.find'],
  );
  const { projection } = log.queries[0]!.options as { projection: Record<string, unknown> };
  t.deepEqual(projection, { _id: 1, __t: 1, make: 1, owner: 1, doors: 1, payload: 1 });
});

test('each document is serialized by the resource of its type', async (t) => {
  const { server } = env();
  const { make, plainOut, carOut, truckOut, car, truck } = await garage();
  const res = await request(server).get(`/api/vehicles/?make=${make}&_order_by=make`);
  t.deepEqual([res.status, res.body], [200, { data: [plainOut, carOut, truckOut], has_more: false }]);
  t.deepEqual((await request(server).get(`/api/vehicles/${car.id}/`)).body, carOut);
  t.deepEqual((await request(server).get(`/api/vehicles/${truck.id}`)).body, truckOut);
});

test('filters and _fields work across types', async (t) => {
  const { server } = env();
  const { make, carOut, truckOut } = await garage();
  let res = await request(server).get(`/api/vehicles/?make=${make}&type=Truck`);
  t.deepEqual([res.status, res.body], [200, { data: [truckOut], has_more: false }]);
  res = await request(server).get(`/api/vehicles/?make=${make}&type=Car`);
  t.deepEqual(res.body, { data: [carOut], has_more: false });
  // `doors` is a Car field, `payload` a Truck field: each type outputs the ones it has.
  res = await request(server).get(`/api/vehicles/?make=${make}&_order_by=make&_fields=type,doors,payload`);
  t.deepEqual(res.body, { data: [{ type: null }, { type: 'Car', doors: 4 }, { type: 'Truck', payload: 12 }], has_more: false });
  res = await request(server).get(`/api/vehicles/?make=${make}&_order_by=make&_fields=make`);
  t.deepEqual(res.body, { data: [{ make }, { make }, { make }], has_more: false });
});

test('POST with the discriminator key creates that type, validated against its schema', async (t) => {
  const { server, models } = env();
  const { owner, ownerOut } = await garage();
  const make = unique('new');
  let res = await request(server).post('/api/vehicles/').send({ type: 'Car', make, doors: 2, owner: owner.id, payload: 99 });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.deepEqual(res.body, { id: res.body.id, type: 'Car', make, doors: 2, owner: ownerOut });
  t.is(res.headers.location, `/api/vehicles/${res.body.id}/`);
  const stored = await models.Vehicle.findById(res.body.id).lean();
  t.like(stored, { __t: 'Car', make, doors: 2 });
  t.false('payload' in stored!);
  t.deepEqual((await request(server).get(`/api/vehicles/${res.body.id}/`)).body, res.body);

  res = await request(server).post('/api/vehicles/').send({ type: 'Truck', make, payload: 3 });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.deepEqual(res.body, { id: res.body.id, type: 'Truck', make, payload: 3, owner: null });

  res = await request(server).post('/api/vehicles/').send({ type: 'Car', make: unique('bad'), doors: 1 });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { doors: 'Path `doors` (1) is less than minimum allowed value (2).' } }]);
  res = await request(server).post('/api/vehicles/').send({ type: 'Truck', make: unique('bad') });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { payload: 'Path `payload` is required.' } }]);
  // Relations are checked on child types too.
  const missing = new mongoose.Types.ObjectId().toHexString();
  res = await request(server).post('/api/vehicles/').send({ type: 'Truck', make: unique('bad'), payload: 1, owner: missing });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { owner: `No document with id "${missing}".` } }]);
  t.is(await models.Vehicle.countDocuments({ make: /^bad-/ }), 0);
});

test('without the key: defaultChildResourceDocument, else the base type; an unknown type is a 400', async (t) => {
  const { server, models } = env();
  const make = unique('default');
  let res = await request(server).post('/api/vehicles/').send({ make });
  t.deepEqual([res.status, res.body], [201, { id: res.body.id, type: null, make, owner: null }]);
  t.false('__t' in (await models.Vehicle.findById(res.body.id).lean())!);
  res = await request(server).post('/api/vehicles/').send({ make, type: 'Vehicle' });
  t.deepEqual([res.status, res.body], [201, { id: res.body.id, type: null, make, owner: null }]);

  res = await request(server).post('/api/cars-by-default/').send({ make });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { doors: 'Path `doors` is required.' } }]);
  res = await request(server).post('/api/cars-by-default/').send({ make, doors: 3 });
  t.deepEqual([res.status, res.body], [201, { id: res.body.id, type: 'Car', make, doors: 3, owner: null }]);
  res = await request(server).post('/api/cars-by-default/').send({ make, type: 'Truck', payload: 1 });
  t.deepEqual([res.status, res.body], [201, { id: res.body.id, type: 'Truck', make, payload: 1, owner: null }]);

  const bad = unique('unknown');
  res = await request(server).post('/api/vehicles/').send({ make: bad, type: 'Bus' });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { type: 'Unknown type "Bus"; expected one of "Car", "Truck".' } }]);
  res = await request(server).post('/api/vehicles/').send({ make: bad, type: ['Car'] });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { type: 'Unknown type ["Car"]; expected one of "Car", "Truck".' } }]);
  res = await request(server).post('/api/vehicles/').send({ make: bad, __t: 'Car', doors: 4 });
  t.deepEqual([res.status, res.body], [201, { id: res.body.id, type: null, make: bad, owner: null }], 'only the API name counts');
});

test('PUT updates with the resource of the stored type; the type itself never changes', async (t) => {
  const { server, models } = env();
  const { car, carOut, truck, truckOut } = await garage();
  let res = await request(server).put(`/api/vehicles/${car.id}/`).send({ doors: 5, type: 'Truck', payload: 7 });
  t.deepEqual([res.status, res.body], [200, { ...carOut, doors: 5 }]);
  t.deepEqual((await request(server).get(`/api/vehicles/${car.id}/`)).body, res.body);
  t.like(await models.Vehicle.findById(car._id).lean(), { __t: 'Car', doors: 5 });

  res = await request(server).put(`/api/vehicles/${car.id}/`).send({ doors: 1 });
  t.deepEqual([res.status, res.body], [400, { 'field-errors': { doors: 'Path `doors` (1) is less than minimum allowed value (2).' } }]);
  res = await request(server).put(`/api/vehicles/${truck.id}/`).send({ payload: 20, make: 'Renamed' });
  t.deepEqual([res.status, res.body], [200, { ...truckOut, payload: 20, make: 'Renamed' }]);
});

test('bulk update across types applies the base fields to every matched document', async (t) => {
  const { server, models } = env();
  const { make, plain, car, truck } = await garage();
  const res = await request(server).put(`/api/vehicles/?make=${make}`).send({ make: `${make}-x`, type: 'Car' });
  t.deepEqual([res.status, res.body], [200, { count: 3 }]);
  const stored = await models.Vehicle.find({ make: `${make}-x` }).sort({ _id: 1 }).lean();
  t.deepEqual(
    stored.map((doc) => [String(doc._id), (doc as { __t?: string }).__t ?? null]),
    [
      [plain.id, null],
      [car.id, 'Car'],
      [truck.id, 'Truck'],
    ],
  );
});

test('documents of several types nested under another resource are serialized by the resource of their type', async (t) => {
  const { server } = env();
  const { owner, carOut, truckOut } = await garage();
  const res = await request(server).get(`/api/people/${owner.id}/?_fields=full_name,vehicles`);
  t.deepEqual([res.status, res.body], [200, { full_name: 'Olga Owner', vehicles: [carOut, truckOut] }]);
});
