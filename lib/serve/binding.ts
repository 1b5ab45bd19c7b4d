/**
 * ViewBinding: a view registered at a URL, and the pipeline every request to it runs, read top to
 * bottom in `serve`: route → method check → `ctx.state.mongorest` → authenticate → nested parent →
 * `permissions` table → alias → `Idempotency-Key` (keyed writes, lib/idempotency/) → the view's
 * `dispatch` → handler (parse, permission hooks, database, serialize). OPTIONS is options.ts; custom
 * actions are lib/actions/serve.ts. Errors thrown anywhere become JSON responses in `MongoRest`.
 */
import mongoose from 'mongoose';
import { authenticate, instantiateStrategies, isAuthenticated, type AuthenticationBase } from '../auth/authentication.js';
import { checkMethodPermission, checkPermissionTable } from '../auth/roles.js';
import { AliasTable, resolvedUrl } from '../aliases/aliases.js';
import { requestDeadline } from '../deadline/request-deadline.js';
import { checkActions, type Action } from '../actions/action.js';
import { MethodNotAllowed, NotAcceptable, NotFound } from '../errors.js';
import { list, fetch } from '../handlers/read.js';
import { ACCEPT_PATCH, patch } from '../handlers/patch.js';
import { NDJSON, stream } from '../handlers/stream.js';
import { bulkCreate, bulkDelete, bulkUpdate, create, remove, update } from '../handlers/write.js';
import { JSON_TYPE } from '../http/json.js';
import type { WriteAttempt } from '../idempotency/attempt.js';
import { idempotencyKeyOf, keyedMethods, runKeyedWrite } from '../idempotency/keyed-write.js';
import type { IdempotencyConfig } from '../idempotency/options.js';
import { readJsonBody, type BodyOptions } from '../write/body.js';
import type { MethodMarker, MethodName, RouteTarget, Verb } from '../methods.js';
import { castId } from '../query/ids.js';
import { type Resource } from '../resource.js';
import { scopeKey, type RequestScope } from '../resource/scope.js';
import { metaOf, type ResourceMeta } from '../resource-meta.js';
import { collectionPathOf, parentScopeOf, resolveParentOf } from '../nesting/lookup.js';
import { PARENT_PK_PARAM, type ParentLink } from '../nesting/parent.js';
import type { RequestContext } from '../types.js';
import { sendPage } from '../versioning/conditional.js';
import type { ResourceView } from '../view.js';
import { announce, dispatchThrough } from './dispatch.js';
import { answerOptions, withHeadAndOptions } from './options.js';

/** Settings of the MongoRest a view is registered on. */
export interface ServeSettings {
  bodyLimit: number;
  databaseTimeoutMS: number;
  /** Signs `_after` cursors (query/cursor.ts). */
  cursorKey: Buffer;
  /** Set when `Idempotency-Key` is honoured. */
  idempotency?: IdempotencyConfig | undefined;
  /** The MongoRest's `onError`: an NDJSON stream reports its own (its failure comes after the status line). */
  onError: (error: unknown, ctx: RequestContext) => void;
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
    readonly view: ResourceView<Resource>,
    /** Full path of the collection, prefix included, without trailing slash (`/api/posts`). */
    readonly path: string,
    /** Whether item URLs are written with a trailing slash (as the view's URL was registered). */
    readonly trailingSlash: boolean,
    readonly settings: ServeSettings,
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
    const { permissions, databaseTimeoutMS } = this.scope;
    const deadline = requestDeadline(ctx, databaseTimeoutMS);
    // One literal of one shape (no spreads): made for every request.
    resource[scopeKey] = this.nesting ? { permissions, databaseTimeoutMS, deadline, parent: parentScopeOf(ctx, this) } : { permissions, databaseTimeoutMS, deadline };
    return resource;
  }

  /** Serves one request on this view's collection or item route. */
  async serve(ctx: RequestContext, target: RouteTarget, pk?: string): Promise<void> {
    if (ctx.method === 'OPTIONS') return answerOptions(ctx, this, this.optionsRoutes(target), ACCEPT_PATCH);
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
    // (Steps with nothing to do are not awaited: each await is a turn of the microtask queue per request.)
    const strategy = this.strategies.length > 0 ? await authenticate(ctx, this.strategies) : undefined;
    const authenticated = isAuthenticated(ctx, strategy);
    if (authenticated) ctx.set('Cache-Control', 'private, no-cache');
    // A nested view: the parent in the URL must exist and be readable by the caller (404) before the body is read.
    if (this.nesting) await this.narrowToParent(ctx, resource);
    const body = { limit: this.settings.bodyLimit };
    if (this.createPair && marker.verb === 'POST' && target === 'collection') {
      marker = await this.chooseCreate(ctx, body);
      announce(ctx, marker.name, this.view, resource);
    }
    if (this.view.permissions !== undefined) await checkMethodPermission(ctx, this.view.permissions, marker.name, this.strategies);
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

  /** Each verb of a route shape and the methods it may serve (both creates share POST), for OPTIONS. */
  private optionsRoutes(target: RouteTarget): [Verb, MethodName[]][] {
    return [...this.byRoute[target]].map(([verb, marker]) => {
      const pair = this.createPair && verb === 'POST' && target === 'collection' ? [this.createPair.create.name, this.createPair.bulk.name] : [marker.name];
      return [verb, pair];
    });
  }

  /** Runs the handler of a method (with the idempotency attempt it runs in, if any); its promise as it is. */
  private runHandler(
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
        if (accepted === NDJSON) return stream(ctx, resource, this.settings.onError);
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

  /**
   * A nested view: the parent in the URL must exist and be readable by the caller (404), looked up after
   * authentication and before the body is read; the request's resource (made before the parent was
   * known: ctx.state.mongorest announces it first) is then narrowed to it.
   */
  async narrowToParent(ctx: RequestContext, resource: Resource): Promise<void> {
    if (!this.nesting) return;
    const parent = await resolveParentOf(ctx, this, this.nesting.parent, this.nesting.base, ctx.params?.[PARENT_PK_PARAM]);
    resource[scopeKey] = { ...resource[scopeKey], parent };
  }

}
