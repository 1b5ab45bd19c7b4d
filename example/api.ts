/** The example blog API: what an app using koa-mongorest writes. */
import Koa from 'koa';
import { MongoRest, Resource, ResourceView, methods, ops } from '../lib/index.js';
import type { ExampleModels } from './models.js';

export function createApp({ User, Post }: ExampleModels): Koa {
  class UserResource extends Resource {
    document = User;
    fields = ['id', 'name', 'email', 'created'];
    allowedOrdering = ['name', 'created'];
    filters = { name: [ops.Exact] };
  }

  class PostResource extends Resource {
    document = Post;
    fields = ['id', 'title', 'author', 'content', 'tags', 'published', 'created', 'summary'];
    renameFields = { author: 'author_id' };
    allowedOrdering = ['title', 'created'];
    filters = { title: [ops.Exact], author_id: [ops.Exact], published: [ops.Exact] };
    defaultLimit = 20;

    /** A computed field: the first words of the content. */
    summary(post: Record<string, unknown>): string {
      const text = (post.content as { text?: string } | undefined)?.text ?? '';
      return text.length > 60 ? `${text.slice(0, 57)}...` : text;
    }
  }

  class UserView extends ResourceView {
    resource = UserResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
  }

  class PostView extends ResourceView {
    resource = PostResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.BulkUpdate, methods.Delete];
  }

  const api = new MongoRest({ prefix: '/api' });
  api.register(UserView, { url: '/users/' });
  api.register(PostView, { url: '/posts/' });

  const app = new Koa();
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}
