/**
 * ResourceView: which methods a resource answers, who may call them, and the per-request pipeline,
 * read top to bottom: route → method check → `ctx.state.mongorest` → authenticate → `permissions` table →
 * `Idempotency-Key` (keyed writes, lib/idempotency/) → the view's `dispatch` → handler (parse, permission
 * hooks, database, serialize). Errors thrown anywhere become JSON responses in `MongoRest`.
 */
import mongoose from 'mongoose';
import { authenticate, instantiateStrategies, isAuthenticated, type AuthenticationBase, type AuthenticationSpec } from './auth/authentication.js';
import { checkMethodPermission, checkPermissionTable, type MethodPermissions } from './auth/roles.js';
import { AliasTable, resolvedUrl, type ViewAliases } from './aliases/aliases.js';
import { requestDeadline } from './deadline/request-deadline.js';
import { checkActions, type Action } from './actions/action.js';
import { runAction } from './actions/run.js';
import { HttpError, MethodNotAllowed, NotAcceptable, NotFound } from './errors.js';
import { list, fetch } from './handlers/read.js';
import { ACCEPT_PATCH, patch } from './handlers/patch.js';
import { NDJSON, stream } from './handlers/stream.js';
import { bulkCreate, bulkDelete, bulkUpdate, create, remove, update } from './handlers/write.js';
import type { WriteAttempt } from './idempotency/attempt.js';
import { idempotencyKeyOf, keyedMethods, runKeyedWrite } from './idempotency/keyed-write.js';
import type { IdempotencyConfig } from './idempotency/options.js';
import { readJsonBody, type BodyOptions } from './write/body.js';
import type { MethodMarker, MethodName, RouteTarget, Verb } from './methods.js';
import { castId } from './query/ids.js';
import { passThroughReadHooks, scopeKey, type AnyResource, type RequestScope, type Resource } from './resource.js';
import { metaOf, type ResourceMeta } from './resource-meta.js';
import { collectionPathOf, parentScopeOf, resolveParentOf } from './nesting/lookup.js';
import { PARENT_PK_PARAM, type ParentLink } from './nesting/parent.js';
import type { MaybePromise, RequestContext } from './types.js';
import type { DocumentOf, QueryOf } from './typing/model.js';
import { sendPage } from './versioning/conditional.js';

/**
 * What `ctx.state.mongorest` holds from before authentication on: the method being served (a
 * `MethodName` such as `'Fetch'`, or a custom action's name), the view instance and the resource
 * instance serving the request.
 *
 * @example
 * ```ts
 * app.use(async (ctx, next) => {
 *   await next();
 *   const served = ctx.state.mongorest as MongoRestState | undefined;
 *   if (served) console.log(`${served.view.constructor.name} ${served.method} → ${ctx.status}`);
 * });
 * ```
 */
export interface MongoRestState {
  /** The `MethodName` (`'List'`, `'Fetch'`, …) or the custom action's name. */
  readonly method: MethodName | (string & NonNullable<unknown>);
  readonly view: ResourceView;
  readonly resource: Resource;
}

/** The model a resource (instance type) serves: `ModelOf<PostResource>` is `typeof Post`. */
export type ModelOf<R extends AnyResource> = R['document'];

/**
 * The view of a resource. `ResourceView<PostResource>` types the hooks by the resource's model
 * (`hasChangePermission(ctx, doc: DocumentOf<typeof Post>)`); untyped, they take any document.
 *
 * @example
 * ```ts
 * class PostView extends ResourceView<PostResource> {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Fetch, methods.Update];
 *   hasChangePermission(ctx: RequestContext, post: DocumentOf<typeof Post>) {
 *     return String(post.author) === ctx.state.user?.id;
 *   }
 * }
 * ```
 */
/* The type argument is an `AnyResource` (lib/resource.ts), which a Resource subclass is checked against on two members. */
export class ResourceView<R extends AnyResource = Resource> {
  /**
   * Item URLs whose pk depends on the caller: `aliases = { me: (ctx) => ctx.state.user?.id }` serves the
   * item methods at `<collection URL>me/` on the document whose pk the function gives (after
   * authentication and the `permissions` table; `undefined` → 401 when unauthenticated, else 404).
   *
   * @example
   * ```ts
   * class UserView extends ResourceView {
   *   resource = UserResource;
   *   methods = [methods.Fetch, methods.Update];
   *   authenticationMethods = [jwt];
   *   aliases = { me: (ctx: RequestContext) => ctx.state.user?.sub };
   * }
   * ```
   */
  aliases?: ViewAliases;
  /** The Resource class this view serves. Required. */
  resource!: new () => R;
  /** The enabled `methods.*` markers. Required. */
  methods!: MethodMarker[];
  /** Strategies; the request passes when none is listed or any one authorizes. */
  authenticationMethods: AuthenticationSpec[] = [];
  /**
   * Optional `{ MethodName: rule }` table (`allow`, `role('admin')`, …), also keyed by the names of the
   * view's `actions`; when set, unlisted methods and actions are refused.
   */
  permissions?: MethodPermissions;
  /** Custom actions, built with `action({...})`: `POST /posts/<pk>/publish/` and the like (docs/views.md). */
  actions: Action[] = [];
  /**
   * Serve `GET <collection URL>schema`: the resource's JSON Schema (the same as in the OpenAPI
   * document), authenticated like the view's other URLs.
   */
  schemaEndpoint = false;

  /**
   * Runs around the handler of every method (and action) of this view, once authentication, the
   * `permissions` table and the `Idempotency-Key` have let the request through: `next()` runs the
   * handler. The default is `return next()`. An override may run code before and after `await next()`,
   * replace `ctx.body`/`ctx.status`, or answer without calling `next()`; what it throws is answered as
   * JSON like any other error. `method` is the `MethodName` (`'Fetch'`) or the action's name.
   *
   * @example
   * ```ts
   * class AuditedPostView extends ResourceView {
   *   resource = PostResource;
   *   methods = [methods.List, methods.Fetch, methods.Update];
   *   override async dispatch(ctx: RequestContext, method: string, next: () => Promise<void>) {
   *     const started = Date.now();
   *     await next();
   *     ctx.set('X-Handled-By', `${method} in ${Date.now() - started} ms`);
   *   }
   * }
   * ```
   */
  dispatch(_ctx: RequestContext, _method: MethodName | (string & NonNullable<unknown>), next: () => Promise<void>): MaybePromise<void> {
    return next();
  }

  /** Narrows every lookup (list, fetch, update, delete, bulk); return the query, e.g. `query.where({ owner })`. */
  hasReadPermission(_ctx: RequestContext, query: QueryOf<ModelOf<R>>): MaybePromise<QueryOf<ModelOf<R>>> {
    return query;
  }
  /** Runs on the built and validated document before it is saved; `false` → 403, nothing written. */
  hasAddPermission(_ctx: RequestContext, _doc: DocumentOf<ModelOf<R>>): MaybePromise<boolean> {
    return true;
  }
  /** Runs on the stored state before the change; `false` → 403, nothing written. */
  hasChangePermission(_ctx: RequestContext, _doc: DocumentOf<ModelOf<R>>): MaybePromise<boolean> {
    return true;
  }
  /** Runs on the stored document before it is removed; `false` → 403. */
  hasDeletePermission(_ctx: RequestContext, _doc: DocumentOf<ModelOf<R>>): MaybePromise<boolean> {
    return true;
  }
}

// The default narrows nothing: a view that keeps it lets reads by pk skip the Mongoose Query (query/direct-read.ts).
passThroughReadHooks.add(ResourceView.prototype.hasReadPermission);

/** A ResourceView subclass, typed or not (`ResourceView<any>`: its hooks are not compared one by one). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any view, whatever its resource
export type ResourceViewClass = new () => ResourceView<any>;

/** What every answer but a list stream is. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** Settings of the MongoRest a view is registered on. */
export interface ServeSettings {
  bodyLimit: number;
  databaseTimeoutMS: number;
  /** Signs `_after` cursors (query/cursor.ts). */
  cursorKey: Buffer;
  /** Set when `Idempotency-Key` is honoured. */
  idempotency?: IdempotencyConfig | undefined;
}

/** A view registered at a URL: the instance, its method table and where its items live. */
export class ViewBinding {
  readonly strategies: AuthenticationBase[];
  readonly meta: ResourceMeta;
  /** The view's `aliases`, checked. */
  readonly aliases: AliasTable;
  /** The same for every request of this view: its permission hooks and `databaseTimeoutMS`. */
  private readonly scope: RequestScope;
  private readonly byRoute: Record<RouteTarget, Map<Verb, MethodMarker>> = { collection: new Map(), item: new Map() };
  /** Create and BulkCreate both enabled: they share `POST` on the collection and the body decides. */
  private readonly createPair?: { create: MethodMarker; bulk: MethodMarker };
  /** The view's custom actions, checked. */
  readonly actions: readonly Action[];

  constructor(
    readonly view: ResourceView,
    /** Full path of the collection, prefix included, without trailing slash (`/api/posts`). */
    readonly path: string,
    /** Whether item URLs are written with a trailing slash (as the view's URL was registered). */
    readonly trailingSlash: boolean,
    private readonly settings: ServeSettings,
    /** Set for a nested view (lib/nesting/): its parent, and its own URL below the parent's item URL (`/comments`). */
    readonly nesting?: { parent: ParentLink; base: string },
  ) {
    for (const marker of view.methods) this.byRoute[marker.target].set(marker.verb, marker);
    const create = view.methods.find((marker) => marker.name === 'Create');
    const bulk = view.methods.find((marker) => marker.name === 'BulkCreate');
    if (create && bulk) this.createPair = { create, bulk };
    this.strategies = instantiateStrategies(view.authenticationMethods);
    this.meta = metaOf(new view.resource());
    const { schema } = this.meta;
    this.actions = checkActions(view.actions, {
      viewName: view.constructor.name,
      schemaEndpoint: view.schemaEndpoint === true,
      isPk: (name) => castId(schema, name) !== undefined,
    });
    const reserved = new Map<string, string>(view.schemaEndpoint === true ? [['schema', 'the schema endpoint']] : []);
    for (const action of this.actions) if (action.target === 'collection') reserved.set(action.name, 'a collection action');
    this.aliases = new AliasTable(view.aliases, view.constructor.name, this.meta, reserved);
    checkPermissionTable(view.permissions, view.constructor.name, this.actions.map((entry) => entry.name));
    this.scope = { permissions: view, databaseTimeoutMS: settings.databaseTimeoutMS };
  }

  /** Whether `Idempotency-Key` is honoured on this view's writes. */
  get keyedWrites(): boolean {
    return this.settings.idempotency !== undefined;
  }

  /** The URL of a document; for a nested view, under the parent of the request `ctx`. */
  itemUrl(id: unknown, ctx?: RequestContext): string {
    const path = ctx ? collectionPathOf(ctx, this) : this.path;
    return `${path}/${encodeURIComponent(String(id))}${this.trailingSlash ? '/' : ''}`;
  }

  /** Verbs answered on a route shape, for `Allow`. */
  allowedVerbs(target: RouteTarget): string[] {
    return withHeadAndOptions([...this.byRoute[target].keys()]);
  }

  /** A resource instance serving the request `ctx`, under the request's database deadline. */
  newResource(ctx: RequestContext): Resource {
    const resource = new this.view.resource();
    const parent = this.nesting ? parentScopeOf(ctx, this) : undefined;
    resource[scopeKey] = { ...this.scope, deadline: requestDeadline(ctx, this.settings.databaseTimeoutMS), ...(parent ? { parent } : {}) };
    return resource;
  }

  /** Serves one request on this view's collection or item route. */
  async serve(ctx: RequestContext, target: RouteTarget, pk?: string): Promise<void> {
    if (ctx.method === 'OPTIONS') return this.options(ctx, target);
    const verb = (ctx.method === 'HEAD' ? 'GET' : ctx.method) as Verb;
    let marker = this.byRoute[target].get(verb);
    if (!marker) {
      if (target === 'item' && verb === 'POST' && this.byRoute.collection.has('POST')) {
        throw new NotFound('Did you mean to use PUT?');
      }
      throw new MethodNotAllowed(this.allowedVerbs(target));
    }
    // Every answer is JSON: a client that accepts none is told so before anything else is done.
    const accepted = marker.name === 'List' ? ctx.accepts(JSON_TYPE, NDJSON) : ctx.accepts(JSON_TYPE);
    if (!accepted) throw new NotAcceptable();
    const resource = this.newResource(ctx);
    announce(ctx, marker.name, this.view, resource);
    // Answers that depend on who asks are for that client only, and revalidated (ETag) before reuse.
    const authenticated = isAuthenticated(ctx, await authenticate(ctx, this.strategies));
    if (authenticated) ctx.set('Cache-Control', 'private, no-cache');
    // A nested view: the parent in the URL must exist and be readable by the caller (404) before the body is read.
    await this.narrowToParent(ctx, resource);
    const body = { limit: this.settings.bodyLimit };
    if (this.createPair && marker.verb === 'POST' && target === 'collection') {
      marker = await this.chooseCreate(ctx, body);
      announce(ctx, marker.name, this.view, resource);
    }
    await checkMethodPermission(ctx, this.view.permissions, marker.name, this.strategies);
    // `/users/me/`: the alias becomes the pk it stands for (lib/aliases/), now that the caller is known.
    let requestUrl: string | undefined;
    if (target === 'item' && this.aliases.has(pk)) {
      const alias = pk;
      pk = await this.aliases.resolve(ctx, alias, authenticated, this.strategies);
      requestUrl = resolvedUrl(ctx.originalUrl, alias, pk);
    }
    const chosen = marker;
    const handle = (attempt?: WriteAttempt) => () => this.runHandler(ctx, resource, chosen, accepted, body, pk, attempt);
    const { idempotency } = this.settings;
    const key = idempotency && keyedMethods.has(ctx.method) ? idempotencyKeyOf(ctx) : undefined;
    if (idempotency && key !== undefined) {
      const keyed = {
        config: idempotency,
        connection: this.meta.model.db,
        databaseTimeoutMS: this.settings.databaseTimeoutMS,
        view: collectionPathOf(ctx, this),
        meta: this.meta,
        body,
        newDocumentId: () => this.newDocumentId(),
        ...(requestUrl !== undefined ? { requestUrl } : {}),
      };
      // The view's dispatch runs inside the keyed write: a replay repeats the answer it gave.
      return runKeyedWrite(ctx, key, keyed, (attempt) => dispatchThrough(this.view, ctx, chosen.name, handle(attempt)));
    }
    await dispatchThrough(this.view, ctx, chosen.name, handle());
    // A list page is stringified once, with its ETag, as the dispatch left it.
    sendPage(ctx);
  }

  /** Runs the handler of a method (with the idempotency attempt it runs in, if any). */
  private async runHandler(
    ctx: RequestContext,
    resource: Resource,
    marker: MethodMarker,
    accepted: string,
    body: BodyOptions,
    pk: string | undefined,
    attempt?: WriteAttempt,
  ): Promise<void> {
    switch (marker.name) {
      case 'List':
        if (accepted === NDJSON) return stream(ctx, resource);
        return list(ctx, resource, { cursorKey: this.settings.cursorKey, scope: collectionPathOf(ctx, this) });
      case 'Fetch':
        return fetch(ctx, resource, pk!);
      case 'Create':
        return create(ctx, resource, body, (id) => this.itemUrl(id, ctx), attempt);
      case 'Update':
        return update(ctx, resource, body, pk!, attempt);
      case 'Patch':
        return patch(ctx, resource, body, pk!, attempt);
      case 'BulkUpdate':
        return bulkUpdate(ctx, resource, body);
      case 'Delete':
        return remove(ctx, resource, pk!, attempt);
      case 'BulkDelete':
        return bulkDelete(ctx, resource);
      case 'BulkCreate':
        return bulkCreate(ctx, resource, body);
    }
  }

  /**
   * The `_id` a document created through this view will get, made before it is written (idempotency keys
   * record it first): a new ObjectId for the usual `_id`; `undefined` for app-defined `_id` types.
   */
  private newDocumentId(): unknown {
    const idPath = this.meta.model.schema.path('_id') as { instance?: string } | undefined;
    return idPath?.instance === 'ObjectId' ? new mongoose.Types.ObjectId() : undefined;
  }

  /**
   * Create or BulkCreate, by the body (an array → BulkCreate). The body is read only once a rule of the
   * `permissions` table allows one of them: a caller refused both is refused before its body is parsed.
   */
  private async chooseCreate(ctx: RequestContext, body: BodyOptions): Promise<MethodMarker> {
    const { create, bulk } = this.createPair!;
    const { permissions } = this.view;
    if (permissions) {
      const allowed = await Promise.all(
        [create, bulk].map((marker) => checkMethodPermission(ctx, permissions, marker.name, this.strategies).then(() => true, () => false)),
      );
      if (!allowed.includes(true)) await checkMethodPermission(ctx, permissions, create.name, this.strategies);
    }
    return Array.isArray(await readJsonBody(ctx, body)) ? bulk : create;
  }

  /** Serves one request on the URL of a custom action (`pk`: the document's, for an item action). */
  /**
   * A nested view: the parent in the URL must exist and be readable by the caller (404), looked up after
   * authentication and before the body is read; the request's resource (made before the parent was
   * known: ctx.state.mongorest announces it first) is then narrowed to it.
   */
  private async narrowToParent(ctx: RequestContext, resource: Resource): Promise<void> {
    if (!this.nesting) return;
    const parent = await resolveParentOf(ctx, this, this.nesting.parent, this.nesting.base, ctx.params?.[PARENT_PK_PARAM]);
    resource[scopeKey] = { ...resource[scopeKey], parent };
  }

  async serveAction(ctx: RequestContext, action: Action, pk?: string): Promise<void> {
    if (ctx.method === 'OPTIONS') {
      const verbs = await this.optionsAllow(ctx, [[action.verb, [action.name]]]);
      ctx.set('Allow', verbs.join(', '));
      ctx.status = 204;
      return;
    }
    const verb = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    if (verb !== action.verb) throw new MethodNotAllowed(withHeadAndOptions([action.verb]));
    if (!ctx.accepts(JSON_TYPE)) throw new NotAcceptable();
    const resource = this.newResource(ctx);
    announce(ctx, action.name, this.view, resource);
    const authenticated = isAuthenticated(ctx, await authenticate(ctx, this.strategies));
    if (authenticated) ctx.set('Cache-Control', 'private, no-cache');
    await this.narrowToParent(ctx, resource);
    await checkMethodPermission(ctx, this.view.permissions, action.name, this.strategies);
    // `/users/me/<action>/`: the alias stands for the caller's pk, as on the item URL itself.
    if (action.target === 'item' && pk !== undefined && this.aliases.has(pk)) pk = await this.aliases.resolve(ctx, pk, authenticated, this.strategies);
    const body = { limit: this.settings.bodyLimit };
    return dispatchThrough(this.view, ctx, action.name, () => runAction(ctx, resource, action, body, pk));
  }

  /**
   * OPTIONS: `Allow` lists the verbs the caller may use by the view's `permissions` table (object-level
   * hooks aside: they need a document), after the same authentication as GET. CORS preflights carry no
   * credentials: they are not authenticated and list every enabled verb (the request that follows is
   * authenticated and checked as usual).
   */
  private async options(ctx: RequestContext, target: RouteTarget): Promise<void> {
    const routes: [Verb, MethodName[]][] = [...this.byRoute[target]].map(([verb, marker]) => {
      const pair = this.createPair && verb === 'POST' && target === 'collection' ? [this.createPair.create.name, this.createPair.bulk.name] : [marker.name];
      return [verb, pair];
    });
    const verbs = await this.optionsAllow(ctx, routes);
    ctx.set('Allow', verbs.join(', '));
    if (verbs.includes('PATCH')) ctx.set('Accept-Patch', ACCEPT_PATCH);
    ctx.status = 204;
  }

  /** The `Allow` list of an OPTIONS request: each verb whose method (any of `names`) the caller may use. */
  private async optionsAllow(ctx: RequestContext, routes: readonly [Verb, readonly string[]][]): Promise<string[]> {
    const preflight = ctx.get('Origin') !== '' && ctx.get('Access-Control-Request-Method') !== '';
    if (preflight) return withHeadAndOptions(routes.map(([verb]) => verb));
    if (isAuthenticated(ctx, await authenticate(ctx, this.strategies))) ctx.set('Cache-Control', 'private, no-cache');
    const { permissions } = this.view;
    if (permissions === undefined) return withHeadAndOptions(routes.map(([verb]) => verb));
    const resource = this.newResource(ctx);
    const verbs: Verb[] = [];
    for (const [verb, names] of routes) {
      for (const name of names) {
        // Rules may read the state, as they do when the method itself is called.
        announce(ctx, name, this.view, resource);
        if (await this.permits(ctx, permissions, name)) {
          verbs.push(verb);
          break;
        }
      }
    }
    delete (ctx.state as Record<string, unknown>).mongorest;
    return withHeadAndOptions(verbs);
  }

  /** Whether the `permissions` table lets the caller use `name`; a rule that fails (not a refusal) still fails the request. */
  private async permits(ctx: RequestContext, permissions: MethodPermissions, name: string): Promise<boolean> {
    try {
      await checkMethodPermission(ctx, permissions, name, this.strategies);
      return true;
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403)) return false;
      throw error;
    }
  }
}

/** `Allow` order: the verbs, HEAD after GET, OPTIONS last. */
function withHeadAndOptions(verbs: readonly string[]): string[] {
  const allowed = [...verbs];
  if (allowed.includes('GET')) allowed.push('HEAD');
  allowed.push('OPTIONS');
  return allowed;
}

/** Sets `ctx.state.mongorest` (see `MongoRestState`). */
export function announce(ctx: RequestContext, method: string, view: ResourceView, resource: Resource): void {
  const state: MongoRestState = { method, view, resource };
  (ctx.state as Record<string, unknown>).mongorest = state;
}

/**
 * Runs `handler` through the view's `dispatch` override point; `next` runs it at most once (a second
 * call is a bug of the override, answered 500 like a koa-compose `next()` called twice).
 */
export async function dispatchThrough(view: ResourceView, ctx: RequestContext, method: string, handler: () => Promise<void>): Promise<void> {
  let called = false;
  const next = () => {
    if (called) return Promise.reject(new Error(`${view.constructor.name}.dispatch called next() more than once.`));
    called = true;
    return handler();
  };
  await view.dispatch(ctx, method, next);
}
