/**
 * ResourceView: what an app declares about a resource's HTTP face — which methods it answers, who may
 * call them (authentication strategies, the `permissions` table, permission hooks), its custom actions,
 * aliases and the `dispatch` override point. Serving requests is lib/serve/ (ViewBinding: the
 * per-request pipeline, OPTIONS) and lib/actions/ (custom actions).
 */
import type { AuthenticationSpec } from './auth/authentication.js';
import type { MethodPermissions } from './auth/roles.js';
import type { ViewAliases } from './aliases/aliases.js';
import type { Action } from './actions/action.js';
import type { MethodMarker, MethodName } from './methods.js';
import type { AnyResource, Resource, UntypedResource } from './resource.js';
import { passThroughReadHooks } from './resource/scope.js';
import type { MaybePromise, RequestContext } from './types.js';
import type { DocumentOf, QueryOf } from './typing/model.js';

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
/*
 * The type argument is an `AnyResource` (lib/resource.ts), which a Resource subclass is checked against on
 * two members; without one, `UntypedResource`: any Resource class (typed or not), hooks untyped.
 */
export class ResourceView<R extends AnyResource = UntypedResource> {
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
