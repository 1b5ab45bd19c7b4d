/**
 * What `register` refuses so that a mistake shows at startup rather than as a wrong answer later:
 * a model made by another copy of Mongoose (the library would not recognise its queries), and a checked
 * `ref` that names no model (its ids would be stored unchecked). Also: values of another Mongoose copy
 * are recognised by shape (queries, BSON values, validation errors), never by `instanceof`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'ava';
import Koa from 'koa';
import mongoose from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods } from '../lib/index.js';
import { isCastError, isMongooseDocument, isValidationError } from '../lib/guards.js';
import { castText } from '../lib/query/cast.js';
import { isQuery } from '../lib/query/thenable.js';
import { useTestDatabase } from './fixtures/database.js';
import { TestMongoRest } from './fixtures/mongorest.js';

const database = useTestDatabase(test, import.meta.url);

/** A second, independent copy of Mongoose (its own classes), as a nested node_modules/mongoose would give. */
function secondMongoose(): typeof mongoose {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('mongoose/package.json')) + path.sep;
  const saved = new Map<string, NodeJS.Module | undefined>();
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(root)) {
      saved.set(key, require.cache[key]);
      delete require.cache[key];
    }
  }
  try {
    return require('mongoose') as typeof mongoose;
  } finally {
    for (const [key, module] of saved) require.cache[key] = module;
  }
}

const other = secondMongoose();
const otherConnection = other.createConnection();
const OtherBook = otherConnection.model('Book', new other.Schema({ title: { type: String, required: true }, shelf: other.Schema.Types.ObjectId }));

test('the second copy really is another Mongoose', (t) => {
  t.not(other, mongoose);
  t.false(other instanceof mongoose.Mongoose);
  t.false(OtherBook.find() instanceof mongoose.Query);
});

test('register refuses a model of another Mongoose copy, saying so and how to fix it', (t) => {
  class BookResource extends Resource {
    document = OtherBook;
  }
  class BookView extends ResourceView {
    resource = BookResource;
    methods = [methods.List];
  }
  const error = t.throws(() => new TestMongoRest().register(BookView));
  t.is(
    error?.message,
    `BookResource.document (model "Book") was made by another copy of Mongoose (${other.version}) than the one koa-mongorest loads (${mongoose.version}).` +
      " Mongoose is a peer dependency: make `mongoose` resolve to the app's copy only — remove node_modules/koa-mongorest/node_modules/mongoose" +
      ' (`npm dedupe`), and install koa-mongorest from npm, a tarball or a git URL rather than with `npm link` or from a folder.',
  );
});

test('values of another Mongoose copy are recognised by shape', async (t) => {
  t.true(isQuery(OtherBook.find()));
  t.false(isQuery({ then: () => undefined }));
  t.false(isQuery([]));
  const shelf = castText(OtherBook.schema.path('shelf'), 'aaaaaaaaaaaaaaaaaaaaaaaa');
  t.true(shelf instanceof other.Types.ObjectId, 'an ObjectId of the model’s own copy');
  const doc = new OtherBook({ shelf: 'not an id' });
  t.true(isMongooseDocument(doc));
  t.false(isMongooseDocument({ title: 'plain' }));
  const invalid: unknown = await doc.validate().catch((error: unknown) => error);
  t.true(isValidationError(invalid));
  t.true(isCastError((invalid as mongoose.Error.ValidationError).errors.shelf));
  t.false(isValidationError(new Error('ValidationError')));
});

test('a checked ref naming no model of the connection throws at register (it used to store any id, 201)', async (t) => {
  const { connection } = await database.ready;
  const Loan = connection.model('Loan', new mongoose.Schema({ title: String, reader: { type: mongoose.Schema.Types.ObjectId, ref: 'Reader' } }));
  class LoanResource extends Resource {
    document = Loan;
  }
  class LoanView extends ResourceView {
    resource = LoanResource;
    methods = [methods.Create];
  }
  const error = t.throws(() => new TestMongoRest().register(LoanView));
  t.is(
    error?.message,
    'LoanResource: field "reader" references model "Reader", which is not defined on the connection of "Loan", so its ids cannot be checked.' +
      ' Define the Reader model on that connection before registering the view, or set checkReferences = false on the resource to store such ids unchecked.',
  );

  // Opting out registers, and stores the id unchecked (as Mongoose does).
  class UncheckedLoanResource extends LoanResource {
    checkReferences = false;
  }
  class UncheckedLoanView extends LoanView {
    resource = UncheckedLoanResource;
  }
  t.notThrows(() => new TestMongoRest().register(UncheckedLoanView, { url: '/unchecked/' }));
});

test('with the model defined before register, an unknown id is a 400 naming the field', async (t) => {
  const { connection } = await database.ready;
  const Member = connection.model('Member', new mongoose.Schema({ name: String }));
  const Hold = connection.model('Hold', new mongoose.Schema({ title: String, member: { type: mongoose.Schema.Types.ObjectId, ref: 'Member' } }));
  class HoldResource extends Resource {
    document = Hold;
  }
  class HoldView extends ResourceView {
    resource = HoldResource;
    methods = [methods.Create];
  }
  const api = new TestMongoRest({ prefix: '/api' }).register(HoldView, { url: '/holds/' });
  const app = new Koa().use(api.routes()).use(api.allowedMethods());
  const ghost = new mongoose.Types.ObjectId().toHexString();
  const refused = await request(app.callback()).post('/api/holds/').send({ title: 'Dune', member: ghost });
  t.is(refused.status, 400);
  t.deepEqual(refused.body, { 'field-errors': { member: `No document with id "${ghost}".` } });
  const member = await Member.create({ name: 'Ada' });
  const created = await request(app.callback()).post('/api/holds/').send({ title: 'Dune', member: String(member._id) });
  t.is(created.status, 201);
  t.is(created.body.member, String(member._id));
});
