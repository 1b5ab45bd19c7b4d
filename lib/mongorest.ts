/**
 * MongoRest: the router that views are registered on. Each view gets two routes on @koa/router — its
 * collection URL and `<url><pk>` — both with an optional trailing slash, answering every verb so that
 * disabled methods get 405 + Allow from the view rather than falling through.
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { instantiateStrategies } from './auth/authentication.js';
import { existingRequestDeadline } from './deadline/request-deadline.js';
import { NotFound } from './errors.js';
import { filterTargetOf } from './handlers/shared.js';
import { assertSameMongoose } from './mongoose-copy.js';
import { quietClientAborts } from './http/client-abort.js';
import { failureAnswer } from './http/error-response.js';
import { resolveIdempotency, type IdempotencySetting } from './idempotency/options.js';
import type { MethodMarker } from './methods.js';
import { cursorKey } from './query/cursor.js';
import { compileFilters } from './query/filters.js';
import { describeApi, standaloneSchema, type DescribedApi } from './openapi/document.js';
import { answerJson, type ServeOpenApiOptions } from './openapi/serve.js';
import { viewSource } from './openapi/source.js';
import type { OpenApiDocument, OpenApiOptions } from './openapi/types.js';
import { metaOf, type ResourceMeta } from './resource-meta.js';
import type { Resource } from './resource.js';
import type { RequestContext } from './types.js';
import { serveAction } from './actions/serve.js';
import { ViewBinding, type ServeSettings } from './serve/binding.js';
import type { ResourceView } from './view.js';
import { checkRelationInputs } from './write/nested.js';
import { PARENT_PK_PARAM, resolveParent, type ParentOption, type RegisteredView } from './nesting/parent.js';

export interface MongoRestOptions {
  /** Mounted before every view URL, e.g. `/api`. Default `''`. */
  prefix?: string;
  /** Largest request body in bytes (413 above). Default 1 MB. */
  bodyLimit?: number;
  /**
   * The database time budget of a request, from its first database operation (a fresh one for building
   * the answer after its writes succeeded). Past it the request answers 503 + `Retry-After` when nothing
   * was written, 504 when a write was sent without an answer in time. Reads carry it as `maxTimeMS`.
   * Default 2000 ms.
   */
  databaseTimeoutMS?: number;
  /**
   * Signs the `_after` cursors of cursor pagination (at least 16 characters). Without it a random key
   * is made per process: set it when several app instances serve the same API, so a cursor made by one
   * works on the others. Default: random per process.
   */
  cursorSecret?: string;
  /**
   * Honour the `Idempotency-Key` header on POST, PUT, PATCH and DELETE: `true`, or `{ ttlSeconds }`
   * (default 24 h). Records live in the collection `mongorest_idempotency`. Default: off.
   */
  idempotency?: IdempotencySetting;
  /**
   * Called with every unexpected error (answered 500 without details; in an NDJSON stream that has
   * started, its last line). Default: `console.error`. Never called for a client that closed the
   * connection mid-request (see docs/http.md).
   */
  onError?: (error: unknown, ctx: RequestContext) => void;
  /**
   * Serve the OpenAPI document at `<prefix><path>` (GET; default path `/openapi.json`, public unless
   * `authenticationMethods` are given). `true` serves it with the defaults. Its `info`/`servers` are
   * also the defaults of `api.openapi()`.
   */
  openapi?: boolean | ServeOpenApiOptions;
}

export interface RegisterOptions {
  /** Collection URL, e.g. `/posts/`. Default: `/<model name lowercased>/`. */
  url?: string;
  /** Route name (for `router.url(name, …)`). Default: the model name lowercased (nested: `<parent name>-<model name>`). */
  name?: string;
  /**
   * Nest the view under another registered view (docs/nesting.md): `{ view: 'post', field: 'post' }`
   * serves `url` below each post's item URL (`/posts/<postPk>/comments/`), narrowed to the documents
   * whose `field` is that post; creates set it. The parent is registered first.
   */
  parent?: ParentOption;
}

const defaultOnError = (error: unknown) => console.error('[koa-mongorest] unexpected error:', error);

export class MongoRest {
  readonly prefix: string;
  /** The underlying @koa/router instance (routes live here). */
  readonly router: Router;
  private readonly settings: ServeSettings;
  private readonly bindings = new Map<string, ViewBinding>();
  private readonly names = new Set<string>();
  /** Registered views in registration order, with their names (the document lists them so). */
  private readonly registered: RegisteredView[] = [];
  private readonly openapiDefaults: OpenApiOptions;
  /** The served description, built on first use after the last registration. */
  private described?: { api: DescribedApi; text: string; schemas: Map<string, string> };

  constructor(options: MongoRestOptions = {}) {
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.router = new Router(this.prefix ? { prefix: this.prefix } : {});
    this.settings = {
      bodyLimit: options.bodyLimit ?? 1024 * 1024,
      databaseTimeoutMS: options.databaseTimeoutMS ?? 2000,
      cursorKey: cursorKey(options.cursorSecret),
      idempotency: resolveIdempotency(options.idempotency),
      onError: options.onError ?? defaultOnError,
    };
    const { path = '/openapi.json', authenticationMethods = [], ...documentOptions } = typeof options.openapi === 'object' ? options.openapi : {};
    this.openapiDefaults = documentOptions;
    if (options.openapi) {
      if (typeof path !== 'string' || !path.startsWith('/') || routeSyntax.test(path)) {
        throw new TypeError(`openapi.path must be a literal path starting with "/" (got ${JSON.stringify(path)}).`);
      }
      const strategies = instantiateStrategies(authenticationMethods);
      // Registered before any view, so a view at the prefix root cannot shadow it.
      this.router.get('openapi', path, this.guarded(undefined, (ctx) => answerJson(ctx, strategies, () => this.description().text, 'application/json')));
    }
  }

  /**
   * The OpenAPI 3.1 document of the views registered so far, generated from the same resolved
   * configuration that serves requests. `options` default to those given as `new MongoRest({ openapi })`.
   *
   * @example
   * ```ts
   * const api = new MongoRest({ prefix: '/api' });
   * api.register(PostView, { url: '/posts/' });
   * const document = api.openapi({ info: { title: 'Blog API', version: '1.2.0' } });
   * await writeFile('openapi.json', JSON.stringify(document, null, 2));
   * ```
   */
  openapi(options?: OpenApiOptions): OpenApiDocument {
    return describeApi(this.viewSources(), options ?? this.openapiDefaults).document;
  }

  private viewSources() {
    return this.registered.map(({ name, binding }) => viewSource(name, binding));
  }

  private description(): { api: DescribedApi; text: string; schemas: Map<string, string> } {
    if (!this.described) {
      const api = describeApi(this.viewSources(), this.openapiDefaults);
      this.described = { api, text: JSON.stringify(api.document), schemas: new Map() };
    }
    return this.described;
  }

  /** The JSON Schema text of the documents of the view registered as `name`. */
  private schemaText(name: string): string {
    const { api, schemas } = this.description();
    let text = schemas.get(name);
    if (text === undefined) {
      text = JSON.stringify(standaloneSchema(api.document, api.outputs.get(name)!));
      schemas.set(name, text);
    }
    return text;
  }

  /**
   * Registers a view class (instantiated once, here); throws on configuration errors. Takes any
   * `ResourceViewClass`, typed by the members every view declares whatever its resource: relating a
   * typed view to the whole `ResourceView<any>` instantiated its inherited hooks with its model's
   * document and query types, about 30 instantiations per call (bench/typecheck-scale.ts).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any view, whatever its resource
  register(View: new () => Pick<ResourceView<any>, 'resource' | 'methods' | 'actions' | 'dispatch'>, options: RegisterOptions = {}): this {
    const view = new View() as ResourceView<Resource>;
    if (typeof view.resource !== 'function') throw new TypeError(`${View.name}.resource must be a Resource class.`);
    if (!Array.isArray(view.methods)) throw new TypeError(`${View.name}.methods must be a list of methods.* markers.`);
    const stray = view.methods.find((marker) => !isMethodMarker(marker));
    if (stray !== undefined) {
      throw new TypeError(`${View.name}.methods must be a list of methods.* markers (got ${describe(stray)}).`);
    }
    const resource = new view.resource();
    const meta = metaOf(resource);
    assertSameMongoose(meta.model, meta.name);
    compileFilters(filterTargetOf(resource), meta.name); // filter configuration mistakes throw here, at startup
    checkRelationInputs(resource); // so do references to models that do not exist (yet)
    const modelName = meta.model.modelName.toLowerCase();
    const url = options.url ?? `/${modelName}/`;
    if (!url.startsWith('/')) throw new TypeError(`The URL of ${View.name} must start with "/" (got ${JSON.stringify(url)}).`);
    if (routeSyntax.test(url)) {
      throw new TypeError(`The URL of ${View.name} may only contain literal path segments (got ${JSON.stringify(url)}).`);
    }
    const own = url.replace(/\/+$/, '');
    const parent = options.parent === undefined ? undefined : resolveParent(options.parent, View.name, meta, this.registered);
    // A nested view lives below its parent's item URL: `/posts/:parentPk/comments`.
    const base = parent ? `${parent.base}/:${PARENT_PK_PARAM}${own}` : own;
    const shadowing = parent?.binding.actions.find((action) => action.target === 'item' && own === `/${action.name}`);
    if (shadowing) {
      throw new Error(`${View.name}: the URL ${JSON.stringify(url)} under ${JSON.stringify(parent!.name)} is the URL of its item action ${JSON.stringify(shadowing.name)}.`);
    }
    if (this.bindings.has(base)) {
      const shown = parent ? `${parent.base}/<${parent.name} pk>${url}` : url;
      throw new Error(`A view is already registered at ${JSON.stringify(shown)}.`);
    }
    const name = options.name ?? (parent ? `${parent.name}-${modelName}` : modelName);
    if (this.names.has(name)) {
      const hint = options.name === undefined ? ' (pass { name } to register another view of the same model)' : '';
      throw new Error(`A view named ${JSON.stringify(name)} is already registered${hint}.`);
    }

    const nesting = parent ? { parent, base: own } : undefined;
    const binding = new ViewBinding(view, this.prefix + base, url.endsWith('/'), this.settings, nesting);
    this.bindings.set(base, binding);
    this.names.add(name);
    this.registered.push({ name, base, binding, ...(parent ? { parent } : {}) });
    this.described = undefined;
    this.router.all(name, `${base}{/}`, this.endpoint(binding, 'collection'));
    for (const action of binding.actions) {
      // Collection actions before the item route, which would take their name for a pk; item actions
      // are one segment deeper (`<pk>/<name>`) and collide with nothing.
      const path = action.target === 'collection' ? `${base}/${action.name}{/}` : `${base}/:pk/${action.name}{/}`;
      const serve = (ctx: RequestContext) => serveAction(ctx, binding, action, ctx.params?.pk as string | undefined);
      this.router.all(`${name}-${action.target}-${action.name}`, path, this.guarded(binding.meta, serve));
    }
    // Not for nested views: the schema is the same whatever the parent (and the view's top-level registration serves it).
    if (view.schemaEndpoint === true && !parent) {
      // Before the item route, which would take `schema` for a pk.
      const answer = (ctx: RequestContext) => answerJson(ctx, binding.strategies, () => this.schemaText(name), 'application/schema+json');
      this.router.get(`${name}-schema`, `${base}/schema{/}`, this.guarded(binding.meta, answer));
    }
    this.router.all(`${name}-item`, `${base}/:pk{/}`, this.endpoint(binding, 'item'));
    return this;
  }

  /** Middleware serving the registered views (views registered later are served too). */
  routes(): Middleware {
    return this.router.routes() as unknown as Middleware;
  }

  /** Middleware answering JSON 404 for paths under the prefix that no view matched. Use after `routes()`. */
  allowedMethods(): Middleware {
    return async (ctx, next) => {
      await next();
      if (ctx.status === 404 && ctx.body == null && this.isUnderPrefix(ctx.path)) {
        ctx.status = 404;
        ctx.body = new NotFound().body;
      }
    };
  }

  private isUnderPrefix(path: string): boolean {
    return this.prefix === '' || path === this.prefix || path.startsWith(`${this.prefix}/`);
  }

  private endpoint(binding: ViewBinding, target: 'collection' | 'item'): Middleware {
    return this.guarded(binding.meta, (ctx) => binding.serve(ctx, target, ctx.params?.pk as string | undefined));
  }

  /** Runs `serve`, answering whatever it throws as a JSON error. */
  private guarded(meta: ResourceMeta | undefined, serve: (ctx: RequestContext) => Promise<void>): Middleware {
    return async (ctx) => {
      quietClientAborts(ctx);
      try {
        await serve(ctx);
      } catch (thrown) {
        // Writes of this request still running (other saves of a bulk update) are cancelled unless sent;
        // whether any may have reached the server decides what can truthfully be answered.
        const writeSent = existingRequestDeadline(ctx)?.freeze() ?? false;
        const error = failureAnswer(thrown, meta, writeSent, this.settings.onError, ctx);
        ctx.remove('Location');
        ctx.set(error.headers);
        ctx.status = error.status;
        ctx.body = error.body;
      }
    };
  }
}

/** Characters with a meaning in @koa/router paths (parameters, wildcards, groups): URLs are literal. */
const routeSyntax = /[:*?+(){}[\]!\\]/;

function isMethodMarker(value: unknown): value is MethodMarker {
  if (typeof value !== 'object' || value === null) return false;
  const { name, verb, target } = value as Partial<MethodMarker>;
  return typeof name === 'string' && typeof verb === 'string' && (target === 'collection' || target === 'item');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'function' ? `function ${value.name}` : String(value);
}

function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`;
}
