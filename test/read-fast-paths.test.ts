/**
 * The direct read (lib/query/direct-read.ts: a lean read by `_id` sent through `Model.collection` instead of
 * a Mongoose Query) answers exactly what the general path answers, and steps aside whenever Mongoose would
 * do more than pass the command through: query middleware (the model's or a plugin's), schema-level
 * `select`, `_id` setters, overridden lookups. Issue 15.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import test from 'ava';
import Koa from 'koa';
import mongoose, { type Connection, type Model } from 'mongoose';
import request from 'supertest';
import { Resource, ResourceView, methods, ops, type RequestContext, type ResourceClass } from '../lib/index.js';
import { countQueries, uniqueTag, useApp } from './fixtures/blog.js';
import { TEST_DATABASE_TIMEOUT_MS, TestMongoRest } from './fixtures/mongorest.js';


/** Records the options of every `find`/`findOne` reaching a model's collection, whichever path sent it. */
function recordCollectionReads(model: Model<never>): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  const collection = model.collection as unknown as Record<'find' | 'findOne', (...args: unknown[]) => unknown>;
  for (const op of ['find', 'findOne'] as const) {
    const original = collection[op].bind(collection);
    collection[op] = (filter: unknown, options: unknown, ...rest: unknown[]) => {
      seen.push({ op, ...(options as Record<string, unknown>) });
      return original(filter, options, ...rest);
    };
  }
  return seen;
}

function build(connection: Connection) {
  const ownerSchema = new mongoose.Schema({ name: String, email: String, joined: Date });
  const Owner = connection.model('RfOwner', ownerSchema);
  const itemFields = {
    tag: String,
    title: String,
    n: Number,
    tags: [String],
    when: Date,
    owner: { type: mongoose.Schema.Types.ObjectId, ref: 'RfOwner' },
    meta: { color: String },
  };
  const Item = connection.model('RfItem', new mongoose.Schema(itemFields));

  // The same shape, with query middleware that changes what is read (a plugin's, as apps install them).
  const hooked = { findOne: 0, find: 0 };
  const hookedSchema = new mongoose.Schema(itemFields);
  hookedSchema.plugin((schema: mongoose.Schema) => {
    schema.pre('findOne', function () {
      hooked.findOne++;
      this.where({ n: { $ne: 13 } });
    });
  });
  const HookedItem = connection.model('RfHookedItem', hookedSchema);
  const hookedOwnerSchema = new mongoose.Schema({ name: String, email: String, joined: Date });
  hookedOwnerSchema.post('find', function (docs: Record<string, unknown>[]) {
    hooked.find++;
    for (const doc of docs) doc.name = `${String(doc.name)} (via hook)`;
  });
  const HookedOwner = connection.model('RfHookedOwner', hookedOwnerSchema);

  // A path Mongoose leaves out of every read unless asked for.
  const Secretive = connection.model('RfSecretive', new mongoose.Schema({ tag: String, title: String, secret: { type: String, select: false } }));
  // An `_id` whose query casting applies a setter: `/codes/ABC/` finds the document stored as `abc`.
  const Code = connection.model('RfCode', new mongoose.Schema({ _id: { type: String, lowercase: true }, label: String }));

  class OwnerResource extends Resource {
    document = Owner;
  }
  /** Narrows nothing, yet overrides the queryset: lookups take the general path. */
  class GeneralOwnerResource extends OwnerResource {
    override getQueryset(ctx: RequestContext) {
      return super.getQueryset(ctx);
    }
  }
  class HookedOwnerResource extends Resource {
    document = HookedOwner;
  }
  class ItemResource extends Resource {
    document = Item;
    override renameFields = { n: 'number' };
    override optionalFields = ['meta'];
    override filters = { tag: [ops.Exact] };
    override allowedOrdering = ['title', 'number'];
  }
  class GeneralItemResource extends ItemResource {
    override getQueryset(ctx: RequestContext) {
      return super.getQueryset(ctx);
    }
  }
  /** Overrides readableQuery (narrowing): fetches and lists take the general path. */
  class NarrowedItemResource extends ItemResource {
    override async readableQuery(ctx: RequestContext, filter?: Record<string, unknown>) {
      const query = await super.readableQuery(ctx, filter);
      return query.where({ n: { $ne: 13 } });
    }
  }
  class ExpandedItemResource extends ItemResource {
    override relatedResources = { owner: OwnerResource };
  }
  class GeneralExpandedItemResource extends ItemResource {
    override relatedResources = { owner: GeneralOwnerResource };
  }
  class HookedExpandedItemResource extends ItemResource {
    override relatedResources = { owner: HookedOwnerResource };
  }
  class HookedItemResource extends Resource {
    document = HookedItem;
    override filters = { tag: [ops.Exact] };
  }
  class SecretiveResource extends Resource {
    document = Secretive;
  }
  class CodeResource extends Resource {
    document = Code;
  }
  /** A view whose `hasReadPermission` narrows: fetches take the general path. */
  class NarrowingItemView extends ResourceView {
    resource = ItemResource;
    methods = [methods.Fetch];
    override hasReadPermission(ctx: RequestContext, query: mongoose.Query<unknown, unknown>) {
      return query.where({ tag: ctx.get('X-Tag') });
    }
  }

  const api = new TestMongoRest({ prefix: '/api' });
  const views: [string, ResourceClass][] = [
    ['items', ItemResource],
    ['general-items', GeneralItemResource],
    ['narrowed-items', NarrowedItemResource],
    ['expanded', ExpandedItemResource],
    ['general-expanded', GeneralExpandedItemResource],
    ['hooked-expanded', HookedExpandedItemResource],
    ['hooked', HookedItemResource],
    ['secretive', SecretiveResource],
    ['codes', CodeResource],
  ];
  for (const [name, Served] of views) {
    // A named class per view (`ItemsView`, …): names show in the OpenAPI document.
    const viewName = `${name.replace(/(^|-)(\w)/g, (_m, _dash: string, letter: string) => letter.toUpperCase())}View`;
    const View = {
      [viewName]: class extends ResourceView {
        resource = Served;
        methods = [methods.List, methods.Fetch];
      },
    }[viewName]!;
    api.register(View, { url: `/${name}/`, name });
  }
  api.register(NarrowingItemView, { url: '/narrowing/', name: 'narrowing' });
  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  // Installed once; the tests that read them run serially.
  const itemQueries = countQueries(Item as never);
  const ownerQueries = countQueries(Owner as never);
  const itemReads = recordCollectionReads(Item as never);
  return { app, Item, Owner, HookedItem, HookedOwner, Secretive, Code, hooked, itemQueries, ownerQueries, itemReads };
}

const env = useApp(test, import.meta.url, build);
const agent = () => request(env().server);

async function seedItems(tag: string) {
  const [ann, bob] = await env().Owner.create([
    { name: 'Ann', email: 'ann@example.com', joined: new Date('2024-01-02T03:04:05Z') },
    { name: 'Bob', email: 'bob@example.com' },
  ]);
  const items = await env().Item.create([
    { tag, title: 'Full', n: 3, tags: ['a', 'b'], when: new Date('2024-05-06T07:08:09Z'), owner: ann!._id, meta: { color: 'red' } },
    { tag, title: 'Bare' },
    { tag, title: 'Other owner', owner: bob!._id, tags: [] },
    { tag, title: 'Gone owner', owner: new mongoose.Types.ObjectId() },
  ]);
  // Written without Mongoose: no version key, missing fields.
  const { insertedId } = await env().Item.collection.insertOne({ tag, title: 'Raw', n: 1.5 });
  return [...items.map((item) => String(item._id)), String(insertedId)];
}

test.serial('fetch: the direct read and the Mongoose query answer identically (body, ETag), with the deadline as maxTimeMS', async (t) => {
  const tag = uniqueTag('items');
  const ids = await seedItems(tag);
  const queries = env().itemQueries;
  const reads = env().itemReads;
  for (const id of [...ids, String(new mongoose.Types.ObjectId()), 'not-an-id']) {
    for (const fields of ['', '?_fields=id,title', '?_fields=number,tags,meta', '?_fields=_all', '?_fields=nothing']) {
      queries.count = 0;
      reads.length = 0;
      const direct = await agent().get(`/api/items/${id}/${fields}`);
      t.is(queries.count, 0, 'no Mongoose Query on the direct path');
      const general = await agent().get(`/api/general-items/${id}/${fields}`);
      t.is(direct.status, general.status, `${id}${fields}`);
      t.is(direct.text, general.text, `${id}${fields}`);
      t.is(direct.headers.etag, general.headers.etag, `${id}${fields}`);
      if (id === 'not-an-id') continue;
      t.is(queries.count, 1, 'the general path ran its Query');
      // Both sent the same command options: the projection, and the time left as maxTimeMS.
      t.is(reads.length, 2);
      const [sentDirect, sentGeneral] = reads as { maxTimeMS?: number; projection?: unknown }[];
      t.deepEqual(sentDirect!.projection, sentGeneral!.projection);
      t.true(typeof sentDirect!.maxTimeMS === 'number' && sentDirect!.maxTimeMS > 0 && sentDirect!.maxTimeMS <= TEST_DATABASE_TIMEOUT_MS);
    }
  }
  const full = await agent().get(`/api/items/${ids[0]}/?_fields=_all`);
  t.is(full.status, 200);
  t.like(full.body, { title: 'Full', number: 3, tags: ['a', 'b'], when: '2024-05-06T07:08:09.000Z', meta: { color: 'red' } });
});

test.serial('expanded relations: loaded directly or through the related queryset, the lists are identical', async (t) => {
  const tag = uniqueTag('items');
  await seedItems(tag);
  const queries = env().ownerQueries;
  queries.count = 0;
  const direct = await agent().get(`/api/expanded/?tag=${tag}&_limit=10`);
  t.is(queries.count, 0, 'the owners were loaded without a Mongoose Query');
  const general = await agent().get(`/api/general-expanded/?tag=${tag}&_limit=10`);
  t.is(queries.count, 1);
  t.is(direct.status, 200);
  t.is(direct.text, general.text);
  const byTitle = Object.fromEntries((direct.body.data as { title: string; owner: unknown }[]).map((item) => [item.title, item.owner]));
  t.like(byTitle, { Bare: null, 'Gone owner': null });
  t.like(byTitle.Full, { name: 'Ann', joined: '2024-01-02T03:04:05.000Z' });
  t.like(byTitle['Other owner'], { name: 'Bob', joined: null });
});

test.serial("a model with query middleware (a plugin's pre('findOne'), a post('find')) is read through Mongoose: the hooks run", async (t) => {
  const tag = uniqueTag('hooked');
  const [kept, hidden] = await env().HookedItem.create([
    { tag, title: 'Kept', n: 1 },
    { tag, title: 'Hidden by the hook', n: 13 },
  ]);
  const before = env().hooked.findOne;
  const shown = await agent().get(`/api/hooked/${kept!._id}/`);
  t.is(shown.status, 200);
  t.is(shown.body.title, 'Kept');
  const refused = await agent().get(`/api/hooked/${hidden!._id}/`);
  t.is(refused.status, 404);
  t.is(env().hooked.findOne, before + 2);

  const owner = await env().HookedOwner.create({ name: 'Cy' });
  await env().Item.create({ tag, title: 'By Cy', owner: owner._id });
  const finds = env().hooked.find;
  const expanded = await agent().get(`/api/hooked-expanded/?tag=${tag}`);
  t.is(expanded.status, 200);
  t.is(expanded.body.data[0].owner.name, 'Cy (via hook)');
  t.is(env().hooked.find, finds + 1);
});

test.serial("a path with select: false stays out of a fetch; a lowercase String _id is cast by Mongoose's setter", async (t) => {
  const tag = uniqueTag('secretive');
  const doc = await env().Secretive.create({ tag, title: 'Shh', secret: 'hidden' });
  const fetched = await agent().get(`/api/secretive/${doc._id}/`);
  t.is(fetched.status, 200);
  t.is(fetched.body.title, 'Shh');
  t.false(fetched.text.includes('hidden'));

  const code = `code-${tag}`.toLowerCase();
  await env().Code.create({ _id: code, label: 'Lower' });
  const upper = await agent().get(`/api/codes/${code.toUpperCase()}/`);
  t.is(upper.status, 200);
  t.is(upper.body.id, code);
});

test.serial("a view whose hasReadPermission narrows is read through Mongoose", async (t) => {
  const tag = uniqueTag('narrowing');
  const [id] = await seedItems(tag);
  const queries = env().itemQueries;
  queries.count = 0;
  t.is((await agent().get(`/api/narrowing/${id}/`).set('X-Tag', tag)).status, 200);
  t.is((await agent().get(`/api/narrowing/${id}/`).set('X-Tag', 'someone-else')).status, 404);
  t.is(queries.count, 2);
});

test.serial('list pages of the whole collection: the direct read and the Mongoose query answer identically', async (t) => {
  await seedItems(uniqueTag('items'));
  const queries = env().itemQueries;
  const reads = env().itemReads;
  for (const query of ['', '?_limit=2', '?_skip=1&_limit=2', '?_order_by=-number', '?_order_by=title,-number&_fields=title,number', '?_count=1&_limit=3', '?_skip=100000', '?_fields=_all&_limit=4']) {
    queries.count = 0;
    reads.length = 0;
    const direct = await agent().get(`/api/items/${query}`);
    // `_count` still counts through Mongoose (countDocuments); the page itself runs no Query.
    t.is(queries.count, query.includes('_count') ? 1 : 0, `no Mongoose Query for the page ${query}`);
    const general = await agent().get(`/api/general-items/${query}`);
    t.true(queries.count >= 1);
    t.is(direct.status, 200, query);
    t.is(direct.text, general.text, query);
    t.is(direct.headers.etag, general.headers.etag, query);
    // The same command options, the deadline as maxTimeMS included.
    const [sentDirect, sentGeneral] = reads as { maxTimeMS?: number }[];
    t.true(typeof sentDirect!.maxTimeMS === 'number' && sentDirect!.maxTimeMS > 0);
    t.deepEqual({ ...sentDirect, maxTimeMS: 1 }, { ...sentGeneral, maxTimeMS: 1 }, query);
  }
  // A client filter, _limit=0 (a probe) and an overridden getObjects keep the Mongoose Query.
  for (const query of ['?tag=nothing', '?_limit=0']) {
    queries.count = 0;
    const direct = await agent().get(`/api/items/${query}`);
    const general = await agent().get(`/api/general-items/${query}`);
    t.is(direct.text, general.text, query);
    t.is(queries.count, 2, query);
  }
});

test.serial('a resource overriding readableQuery is read through it: fetches and lists are narrowed', async (t) => {
  const tag = uniqueTag('narrowed');
  const [shown, hidden] = await env().Item.create([
    { tag, title: 'Shown', n: 1 },
    { tag, title: 'Hidden', n: 13 },
  ]);
  t.is((await agent().get(`/api/narrowed-items/${shown!._id}/`)).status, 200);
  t.is((await agent().get(`/api/narrowed-items/${hidden!._id}/`)).status, 404);
  const listed = await agent().get(`/api/narrowed-items/?_limit=100&_fields=title,number`);
  t.is(listed.status, 200);
  t.false((listed.body.data as { number: number }[]).some((item) => item.number === 13));
});

test.serial("a subscriber on Mongoose's query tracing channel sees every read: fetches and pages then run Mongoose Queries", async (t) => {
  const [id] = await seedItems(uniqueTag('traced'));
  const channel = tracingChannel('mongoose:query');
  let traced = 0;
  const subscriber = { start: () => void traced++, end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
  channel.subscribe(subscriber);
  try {
    // Mongoose publishes on this channel from 9 on; on 8 (the compatibility job) a subscriber hears
    // nothing from Mongoose itself. What the library decides is the same on both: the reads go through
    // Mongoose Queries (`queries.count`), and each is traced wherever Mongoose traces queries.
    await env().Item.findById(id).exec();
    const perQuery = traced;
    traced = 0;
    t.true(perQuery === 1 || (perQuery === 0 && mongoose.version.startsWith('8.')), `mongoose ${mongoose.version} traced ${perQuery}`);
    const queries = env().itemQueries;
    queries.count = 0;
    t.is((await agent().get(`/api/items/${id}/`)).status, 200);
    t.is((await agent().get('/api/items/?_limit=2')).status, 200);
    t.is(queries.count, 2);
    t.is(traced, 2 * perQuery);
  } finally {
    channel.unsubscribe(subscriber);
  }
});
