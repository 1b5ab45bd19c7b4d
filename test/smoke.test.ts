import test from 'ava';
import { openTestDatabase } from './fixtures/database.js';

const db = await openTestDatabase(import.meta.url);
test.after.always(() => db.close());

test('smoke: insert and read', async (t) => {
  const Cat = db.connection.model('Cat', new (await import('mongoose')).Schema({ name: String }));
  await Cat.create({ name: 'Zildjian' });
  const found = await Cat.findOne({ name: 'Zildjian' }).lean();
  t.is(found?.name, 'Zildjian');
  t.log(db.serverLabel, db.isFerretDB);
});
