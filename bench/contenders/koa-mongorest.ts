/**
 * koa-mongorest, configured as a user would from its contract (shared SPEC, section 1): a resource per
 * model, filters, a renamed field, allowed ordering, and a second view whose resource expands `author`.
 */
import Koa from 'koa';
import mongoose from 'mongoose';
import { assertPackageBuilt, packageEntry } from '../built-package.js';
import { defineModels } from '../models.js';
import { benchCursorSecret, type StartApp } from '../types.js';
import { listen } from './listen.js';

// The compiled package (dist/), as an app runs it, typed by its sources (bench/built-package.ts says why).
assertPackageBuilt();
const { MongoRest, Resource, ResourceView, methods, ops } = (await import(packageEntry)) as typeof import('../../lib/index.js');

export const start: StartApp = async ({ uri, dbName, poolSize, databaseTimeoutMS }) => {
  await mongoose.connect(uri, { dbName, maxPoolSize: poolSize });
  // Read once: a field initializer runs for every request's resource instance (process.env is a slow lookup).
  // BENCH_LOAD_AND_SAVE=1 measures PUT on the load-and-save path (docs/performance.md, "PUT without Mongoose documents").
  const directUpdates = process.env.BENCH_LOAD_AND_SAVE !== '1';
  // BENCH_CREATE_WITH_SAVE=1 measures POST through save() (docs/performance.md, "POST without save()").
  const directCreates = process.env.BENCH_CREATE_WITH_SAVE !== '1';
  const { User, Post } = defineModels();

  class UserResource extends Resource {
    override document = User;
  }

  class PostResource extends Resource {
    override document = Post;
    override filters = {
      status: [ops.Exact, ops.In],
      score: [ops.Gte],
      author_id: [ops.Exact, ops.In],
    };
    override renameFields = { author: 'author_id' };
    override allowedOrdering = ['title', 'created', 'score'];
    // Like the baseline and the peer: a written author id is stored unchecked (create-checked checks it).
    override checkReferences = false;
    override directUpdates = directUpdates;
    override directCreates = directCreates;
    // The scale scenarios stream whole collections (bench/scale.ts).
    override maxStreamDocuments = 10_000_000;
  }

  class PostCheckedResource extends PostResource {
    override checkReferences = true;
  }

  /** POST through `save()`: bench/read-path.ts compares it with the direct insert in one process (`create-with-save`). */
  class PostWithSaveResource extends PostResource {
    override directCreates = false;
  }

  class PostWithAuthorResource extends PostResource {
    override relatedResources = { author: UserResource };
  }

  class PostView extends ResourceView {
    override resource = PostResource;
    override methods = [methods.Create, methods.Update, methods.Fetch, methods.List];
  }

  class PostCheckedView extends ResourceView {
    override resource = PostCheckedResource;
    override methods = [methods.Create];
  }

  class PostWithSaveView extends ResourceView {
    override resource = PostWithSaveResource;
    override methods = [methods.Create];
  }

  class PostWithAuthorView extends ResourceView {
    override resource = PostWithAuthorResource;
    override methods = [methods.List];
  }

  // A fixed cursor secret, so that bench/scale.ts can make the cursor of a deep page.
  const api = new MongoRest({ cursorSecret: benchCursorSecret, ...(databaseTimeoutMS ? { databaseTimeoutMS } : {}) });
  api.register(PostView, { url: '/posts/', name: 'posts' });
  api.register(PostCheckedView, { url: '/posts-checked/', name: 'posts-checked' });
  api.register(PostWithAuthorView, { url: '/posts-with-author/', name: 'posts-with-author' });
  api.register(PostWithSaveView, { url: '/posts-with-save/', name: 'posts-with-save' });

  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());

  const server = await listen(app.callback());
  return {
    server,
    async close() {
      await server.close();
      await mongoose.disconnect();
    },
  };
};
