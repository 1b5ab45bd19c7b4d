/**
 * What a Resource instance carries for the request it serves, under two string keys: the scope the view
 * sets (permission hooks, database deadline, nested view's parent) and the state the library's modules
 * keep while serving (parsed parameters, nesting, relations). A leaf module: the Resource class uses the
 * keys as computed field names when it is defined.
 */
import type { RequestDeadline } from '../deadline/request-deadline.js';
import type { ParentScope } from '../nesting/lookup.js';
import type { PagePlan } from '../query/params.js';
import type { Nesting } from '../serialize/instances.js';
import type { ResolvedRelations } from '../serialize/related.js';
import type { AnyDocument, AnyQuery, MaybePromise, RequestContext } from '../types.js';

/**
 * The document permission hooks (SPEC §3), declared by both `Resource` (rules that hold wherever its
 * documents are read or written) and `ResourceView` (rules of one endpoint); every lookup goes through them.
 */
export interface PermissionHooks {
  hasReadPermission(ctx: RequestContext, query: AnyQuery): MaybePromise<AnyQuery>;
  hasAddPermission(ctx: RequestContext, doc: AnyDocument): MaybePromise<boolean>;
  hasChangePermission(ctx: RequestContext, doc: AnyDocument): MaybePromise<boolean>;
  hasDeletePermission(ctx: RequestContext, doc: AnyDocument): MaybePromise<boolean>;
}

/** Per-request wiring set by the view: permission hooks and the database deadline. */
export interface RequestScope {
  permissions: PermissionHooks;
  databaseTimeoutMS: number;
  /**
   * The request's database budget, shared by every resource instance serving it. Absent outside a
   * request (a resource used on its own): each operation then gets `databaseTimeoutMS` of its own.
   */
  deadline?: RequestDeadline;
  /** A nested view's request (lib/nesting/): every lookup is narrowed to the parent's children. */
  parent?: ParentScope;
}

/**
 * `hasReadPermission` hooks that narrow nothing (the defaults of `ResourceView` and of a related
 * resource's scope): a lookup through them reads the queryset itself, so it may take the direct read.
 */
export const passThroughReadHooks = new WeakSet<object>();

/** The scope of an instance no view serves (a resource used on its own): every hook allows, default deadline. */
export const openScope: RequestScope = {
  permissions: {
    hasReadPermission: (_ctx, query) => query,
    hasAddPermission: () => true,
    hasChangePermission: () => true,
    hasDeletePermission: () => true,
  },
  databaseTimeoutMS: 2000,
};
passThroughReadHooks.add(openScope.permissions.hasReadPermission);

/**
 * Key of the per-request scope on a Resource instance. A string, not a symbol, and no private members on
 * Resource: an app exporting a function that returns a Resource subclass compiles with `declaration: true`
 * (TypeScript cannot name symbol keys or private members of a class expression in a .d.ts).
 */
export const scopeKey = '__mongorestScope';

/**
 * Key of what a Resource instance keeps while it serves a request (internal; a string for the same
 * reason as `scopeKey`). Kept on the instance rather than in module WeakMaps keyed by it: an instance
 * lives for one request, and a WeakMap entry per request is costly for V8's young-generation GC.
 */
export const stateKey = '__mongorestState';

/** What a resource instance parsed of the request it serves, each computed once: `_skip`/`_limit` and the fields. */
export interface ParsedRequest {
  /**
   * The request these belong to, by number (requestNumber). Not the context itself: an instance pointing
   * back at its request's context made V8 carry whole requests through minor GCs (docs/performance.md).
   */
  request: number;
  page?: { plan: PagePlan | undefined };
  fields?: readonly string[];
}

/** What a resource instance keeps while it serves (see `stateKey`); each module owns its entry. */
export interface InstanceState {
  parsed?: ParsedRequest;
  /** serialize/instances.ts: how deep a related or child instance sits in the response. */
  nesting?: Nesting;
  /** serialize/related.ts: the requested fields with a related resource, for the fields asked last. */
  relationFields?: { fields: readonly string[]; relations: string[] };
  /** serialize/related.ts: the relation outputs of the documents this instance serialized in batch. */
  resolved?: ResolvedRelations;
}
