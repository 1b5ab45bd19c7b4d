/**
 * The baseline: what a careful developer would write by hand for the same routes and response shapes as
 * koa-mongorest, with Koa 3, @koa/router, koa-bodyparser and the raw MongoDB driver (no Mongoose), and
 * Koa's own JSON.stringify of plain objects. It implements only what the scenarios exercise, so it is a
 * floor: the cost of the HTTP stack plus the database round trips, with no per-request generality.
 */
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { MongoClient, ObjectId, type Filter, type Sort } from 'mongodb';
import { collections, postStatuses } from '../models.js';
import type { StartApp } from '../types.js';
import { listen } from './listen.js';

interface UserDoc {
  _id: ObjectId;
  name: string;
  email: string;
  created: Date;
}

interface PostDoc {
  _id: ObjectId;
  title: string;
  body: string;
  status: (typeof postStatuses)[number];
  score: number;
  tags: string[];
  author: ObjectId;
  created: Date;
}

type Json = Record<string, unknown>;

/** API name → stored name, in output order. */
const postFields = [
  ['id', '_id'],
  ['title', 'title'],
  ['body', 'body'],
  ['status', 'status'],
  ['score', 'score'],
  ['tags', 'tags'],
  ['author_id', 'author'],
  ['created', 'created'],
] as const satisfies readonly (readonly [string, keyof PostDoc])[];
const storedName = new Map<string, keyof PostDoc>(postFields);
const orderable = new Set(['title', 'created', 'score']);
const maxLimit = 100;

/** An error answered as JSON with its status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(JSON.stringify(body));
  }
}
const badRequest = (message: string) => new HttpError(400, { error: message });
const notFound = () => new HttpError(404, { error: 'Not found' });

function serializeUser(user: UserDoc): Json {
  return { id: user._id.toHexString(), name: user.name, email: user.email, created: user.created };
}

function serializePost(doc: Partial<PostDoc>, authors?: Map<string, Json>): Json {
  const out: Json = {};
  for (const [api, stored] of postFields) {
    const value = doc[stored];
    if (value === undefined) continue;
    if (value instanceof ObjectId) {
      const hex = value.toHexString();
      out[api] = (stored === 'author' && authors?.get(hex)) || hex;
    } else {
      out[api] = value;
    }
  }
  return out;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function intParam(ctx: Context, name: string, fallback: number): number {
  const raw = firstValue(ctx.query[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be a non-negative integer (got "${raw}" instead).`);
  return Number(raw);
}

function objectId(raw: string): ObjectId | undefined {
  return /^[0-9a-f]{24}$/i.test(raw) ? new ObjectId(raw) : undefined;
}

/** The list query: filters, ordering, projection and paging from the query string. */
function listQuery(ctx: Context) {
  const limit = intParam(ctx, '_limit', maxLimit);
  if (limit > maxLimit) throw badRequest(`The limit you set is larger than the maximum limit (${maxLimit}).`);
  const skip = intParam(ctx, '_skip', 0);

  const filter: Filter<PostDoc> = {};
  const status = firstValue(ctx.query.status);
  if (status !== undefined) filter.status = status as PostDoc['status'];
  const statusIn = firstValue(ctx.query.status__in);
  if (statusIn !== undefined) filter.status = { $in: statusIn.split(',') as PostDoc['status'][] };
  const minScore = firstValue(ctx.query.score__gte);
  if (minScore !== undefined) {
    const score = Number(minScore);
    if (minScore === '' || !Number.isFinite(score)) throw badRequest(`Invalid value for score: "${minScore}"`);
    filter.score = { $gte: score };
  }
  const author = firstValue(ctx.query.author_id);
  if (author !== undefined) {
    const id = objectId(author);
    if (!id) throw badRequest(`Invalid value for author_id: "${author}"`);
    filter.author = id;
  }

  const sort: Record<string, 1 | -1> = {};
  for (const part of (firstValue(ctx.query._order_by) ?? '').split(',').filter(Boolean)) {
    const name = part.replace(/^-/, '');
    if (!orderable.has(name)) throw badRequest(`Ordering by "${name}" is not allowed.`);
    sort[storedName.get(name)!] = part.startsWith('-') ? -1 : 1;
  }

  const fields = firstValue(ctx.query._fields);
  const projection: Record<string, 0 | 1> = {};
  if (fields !== undefined) {
    const wanted = fields.split(',').map((name) => storedName.get(name)).filter((name) => name !== undefined);
    for (const name of wanted) projection[name] = 1;
    if (!wanted.includes('_id')) projection._id = 0;
  }
  return { filter, sort: sort as Sort, projection, skip, limit };
}

/** One page of posts, fetched with limit + 1 to know whether there is more. */
async function listPosts(db: ReturnType<MongoClient['db']>, ctx: Context, expandAuthor: boolean): Promise<Json> {
  const { filter, sort, projection, skip, limit } = listQuery(ctx);
  const docs = await db
    .collection<PostDoc>(collections.posts)
    .find(filter, { projection, sort, skip, limit: limit + 1 })
    .toArray();
  const hasMore = docs.length > limit;
  if (hasMore) docs.pop();
  let authors: Map<string, Json> | undefined;
  if (expandAuthor) {
    const ids = [...new Set(docs.map((doc) => doc.author?.toHexString()).filter((id) => id !== undefined))];
    const users = await db
      .collection<UserDoc>(collections.users)
      .find({ _id: { $in: ids.map((id) => new ObjectId(id)) } })
      .toArray();
    authors = new Map(users.map((user) => [user._id.toHexString(), serializeUser(user)]));
  }
  return { data: docs.map((doc) => serializePost(doc, authors)), has_more: hasMore };
}

/** The writable fields of a request body, type-checked, as stored names. */
function writableFields(body: unknown, creating: boolean): Partial<PostDoc> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('JSON data must be an object.');
  const input = body as Json;
  const out: Partial<PostDoc> = {};
  const errors: Record<string, string> = {};
  if ('title' in input) {
    if (typeof input.title === 'string' && input.title.length <= 200) out.title = input.title;
    else errors.title = 'must be a string of at most 200 characters';
  } else if (creating) errors.title = 'is required';
  if ('body' in input) {
    if (typeof input.body === 'string') out.body = input.body;
    else errors.body = 'must be a string';
  }
  if ('status' in input) {
    if ((postStatuses as readonly unknown[]).includes(input.status)) out.status = input.status as PostDoc['status'];
    else errors.status = `must be one of ${postStatuses.join(', ')}`;
  }
  if ('score' in input) {
    if (typeof input.score === 'number' && input.score >= 0) out.score = input.score;
    else errors.score = 'must be a non-negative number';
  }
  if ('tags' in input) {
    if (Array.isArray(input.tags) && input.tags.every((tag) => typeof tag === 'string')) out.tags = input.tags;
    else errors.tags = 'must be an array of strings';
  }
  if ('author_id' in input) {
    const id = typeof input.author_id === 'string' ? objectId(input.author_id) : undefined;
    if (id) out.author = id;
    else errors.author_id = 'must be an id';
  } else if (creating) errors.author_id = 'is required';
  if (Object.keys(errors).length > 0) throw new HttpError(400, { 'field-errors': errors });
  return out;
}

export const start: StartApp = async ({ uri, dbName, poolSize }) => {
  const client = await new MongoClient(uri, { maxPoolSize: poolSize }).connect();
  const db = client.db(dbName);
  const posts = db.collection<PostDoc>(collections.posts);

  const router = new Router();
  router.get(['/posts', '/posts/'], async (ctx) => {
    ctx.body = await listPosts(db, ctx, false);
  });
  router.get(['/posts-with-author', '/posts-with-author/'], async (ctx) => {
    ctx.body = await listPosts(db, ctx, true);
  });
  router.get(['/posts/:id', '/posts/:id/'], async (ctx) => {
    const id = objectId(ctx.params.id!);
    const doc = id && (await posts.findOne({ _id: id }));
    if (!doc) throw notFound();
    ctx.body = serializePost(doc);
  });
  /** Creates a post; with `checkAuthor`, first checks that the author exists (one indexed point query). */
  const createPost = (checkAuthor: boolean) => async (ctx: Context) => {
    const doc: PostDoc = {
      _id: new ObjectId(),
      body: '',
      status: 'draft',
      score: 0,
      tags: [],
      created: new Date(),
      ...(writableFields(ctx.request.body, true) as Pick<PostDoc, 'title' | 'author'>),
    };
    if (checkAuthor && !(await db.collection<UserDoc>(collections.users).findOne({ _id: doc.author }, { projection: { _id: 1 } }))) {
      throw new HttpError(400, { 'field-errors': { author_id: 'does not exist' } });
    }
    await posts.insertOne(doc);
    ctx.status = 201;
    ctx.set('Location', `/posts/${doc._id.toHexString()}/`);
    ctx.body = serializePost(doc);
  };
  router.post(['/posts', '/posts/'], createPost(false));
  router.post(['/posts-checked', '/posts-checked/'], createPost(true));
  router.put(['/posts/:id', '/posts/:id/'], async (ctx) => {
    const id = objectId(ctx.params.id!);
    if (!id) throw notFound();
    const doc = await posts.findOneAndUpdate(
      { _id: id },
      { $set: writableFields(ctx.request.body, false) },
      { returnDocument: 'after' },
    );
    if (!doc) throw notFound();
    ctx.body = serializePost(doc);
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof HttpError) {
        ctx.status = error.status;
        ctx.body = error.body;
      } else {
        console.error(error);
        ctx.status = 500;
        ctx.body = { error: 'Internal Server Error' };
      }
    }
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes()).use(router.allowedMethods());

  const server = await listen(app.callback());
  return {
    server,
    async close() {
      await server.close();
      await client.close();
    },
  };
};
