/** The example blog API: what an app using koa-mongorest writes. */
import Koa from 'koa';
import {
  AnonymousAuthentication,
  ApiKeyAuthentication,
  JwtAuthentication,
  MongoRest,
  Resource,
  ResourceView,
  action,
  allow,
  any,
  authenticated,
  methods,
  ops,
  role,
  rolesOf,
  scope,
  type AnyDocument,
  type PlainDocument,
  type RequestContext,
} from '../lib/index.js';
import { explorer } from './explorer.js';
import { DEV_JWT_SECRET, JWT_AUDIENCE, JWT_ISSUER } from './jwt.js';
import type { ExampleModels } from './models.js';

export interface ExampleOptions {
  /** Writes need `X-API-Key: <apiKey>`; reads are open. */
  apiKey: string;
  /** Verifies the JWTs of `/api/users/me/` (HS256). Default: the dev secret of example/jwt.ts. */
  jwtSecret?: string;
}

/** The example's views on a MongoRest, which also serves `/api/openapi.json`. */
export function createApi({ User, Post, Comment, Media, Image, Video }: ExampleModels, { apiKey, jwtSecret = DEV_JWT_SECRET }: ExampleOptions): MongoRest {
  // The API key is the site's writer: its user has the role `writer`.
  const keyAuthentication = new ApiKeyAuthentication({ keys: { [apiKey]: { name: 'api-key', roles: ['writer'] } } });
  // Reads are open; every write needs the API key. Methods not listed are refused to everyone.
  const writesNeedKey = {
    authenticationMethods: [keyAuthentication, AnonymousAuthentication],
    permissions: { List: allow, Fetch: allow, Create: authenticated, Update: authenticated, Patch: authenticated, BulkUpdate: authenticated, Delete: authenticated },
  };

  class UserResource extends Resource {
    document = User;
    fields = ['id', 'name', 'email', 'created'];
    allowedOrdering = ['name', 'created'];
    filters = { name: [ops.Exact, ops.IContains] };
  }

  /** How a post shows its author: a small nested object. */
  class AuthorResource extends Resource {
    document = User;
    fields = ['id', 'name'];
  }

  class PostResource extends Resource {
    document = Post;
    fields = ['id', 'title', 'author', 'content', 'tags', 'published', 'created', 'summary'];
    relatedResources = { author: AuthorResource };
    allowedOrdering = ['title', 'created'];
    filters = {
      title: [ops.Exact, ops.IContains, ops.Startswith],
      author: [ops.Exact],
      tags: [ops.Exact, ops.In],
      published: [ops.Boolean],
      created: [ops.Gte, ops.Lt],
      'content.lang': [ops.Exact],
    };
    defaultLimit = 20;
    computedSchemas = { summary: { type: 'string', maxLength: 60, description: 'The first words of the content.' } };

    /** A computed field: the first words of the content. */
    summary(post: PlainDocument): string {
      const text = (post.content as { text?: string } | undefined)?.text ?? '';
      return text.length > 60 ? `${text.slice(0, 57)}...` : text;
    }
  }

  class CommentResource extends Resource {
    document = Comment;
    fields = ['id', 'post', 'author', 'text', 'created'];
    allowedOrdering = ['created'];
  }

  class MediaResource extends Resource {
    document = Media;
    fields = ['id', '__t', 'title', 'url', 'post'];
    renameFields = { __t: 'type' };
    childDocumentResources = { Image: ImageResource, Video: VideoResource };
    filters = { type: [ops.Exact], post: [ops.Exact] };
  }
  class ImageResource extends MediaResource {
    document = Image;
    fields = ['id', '__t', 'title', 'url', 'post', 'width', 'height'];
  }
  class VideoResource extends MediaResource {
    document = Video;
    fields = ['id', '__t', 'title', 'url', 'post', 'seconds'];
  }

  // Users also sign in with a JWT (`sub` = their id): `/api/users/me/` is their own document, which a
  // token with the scope `profile:write` may change or delete. The API key may change any user.
  const jwt = new JwtAuthentication({ secret: jwtSecret, algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, realm: 'example' });
  const writerOrOwner = (ctx: RequestContext, user: AnyDocument) => {
    const caller = ctx.state.user as { sub?: string } | undefined;
    return rolesOf(caller).includes('writer') || (caller?.sub !== undefined && caller.sub === String(user._id));
  };

  class UserView extends ResourceView {
    resource = UserResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
    authenticationMethods = [jwt, keyAuthentication, AnonymousAuthentication];
    permissions = {
      List: allow,
      Fetch: allow,
      Create: role('writer'),
      Update: any(role('writer'), scope('profile:write')),
      Delete: any(role('writer'), scope('profile:write')),
    };
    aliases = { me: (ctx: RequestContext) => (ctx.state.user as { sub?: string } | undefined)?.sub };
    override hasChangePermission(ctx: RequestContext, user: AnyDocument) {
      return writerOrOwner(ctx, user);
    }
    override hasDeletePermission(ctx: RequestContext, user: AnyDocument) {
      return writerOrOwner(ctx, user);
    }
  }

  class PostView extends ResourceView {
    resource = PostResource;
    schemaEndpoint = true; // GET /api/posts/schema
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Patch, methods.BulkUpdate, methods.Delete];
    // POST /api/posts/<id>/publish/: a custom action on one post (it needs the key, like the writes).
    override actions = [
      action({
        name: 'publish',
        target: 'item',
        verb: 'POST',
        summary: 'Publish a post',
        responseSchema: 'document',
        handler: (ctx, { doc, resource }) => resource.updateObject(ctx, doc, { published: true }),
      }),
    ];
    authenticationMethods = writesNeedKey.authenticationMethods;
    permissions = { ...writesNeedKey.permissions, publish: authenticated };
  }

  /** Mounted under each post only: /api/posts/<id>/comments/ (list, and create with the API key). */
  class CommentView extends ResourceView {
    resource = CommentResource;
    methods = [methods.List, methods.Create];
    authenticationMethods = writesNeedKey.authenticationMethods;
    permissions = writesNeedKey.permissions;
  }

  class MediaView extends ResourceView {
    resource = MediaResource;
    methods = [methods.List, methods.Fetch, methods.Create, methods.Update, methods.Delete];
    authenticationMethods = writesNeedKey.authenticationMethods;
    permissions = writesNeedKey.permissions;
  }

  const api = new MongoRest({
    prefix: '/api',
    // A write sent with `Idempotency-Key` can be retried safely (docs/http.md).
    idempotency: true,
    openapi: { info: { title: 'Example blog API', version: '1.0.0', description: 'Users, posts and media. Reads are open; writes need `X-API-Key`.' } },
  });
  api.register(UserView, { url: '/users/' });
  api.register(PostView, { url: '/posts/' });
  // `posts` is the parent's collection URL (its registered name is `post`); `post` the field of Comment.
  api.register(CommentView, { url: '/comments/', parent: { view: 'posts', field: 'post' } });
  api.register(MediaView, { url: '/media/' });
  return api;
}

/** The example app: the API under `/api/`, its explorer at `/api/docs`. */
export function createApp(models: ExampleModels, options: ExampleOptions): Koa {
  const api = createApi(models, options);
  const app = new Koa();
  app.use(explorer({ path: '/api/docs', documentUrl: '/api/openapi.json' }));
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}
