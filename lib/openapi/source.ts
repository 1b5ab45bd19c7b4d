/**
 * What the generator reads, taken from the configuration the library resolved to serve requests — the
 * resource meta, the compiled filter table, the discriminator table, the view's method table and
 * strategies — so the document cannot say something the server does not do.
 */
import type { Action } from '../actions/action.js';
import type { AuthenticationBase } from '../auth/authentication.js';
import type { MethodPermissions } from '../auth/roles.js';
import { filterTargetOf } from '../handlers/shared.js';
import type { MethodMarker } from '../methods.js';
import type { FilterField } from '../query/filter-keys.js';
import { compiledFiltersOf } from '../query/filters.js';
import type { PageSettings } from '../query/params.js';
import { Resource, resourceClass, type ResourceClass } from '../resource.js';
import { metaOf, type ResourceMeta } from '../resource-meta.js';
import { childTableOf, type ChildTable } from '../serialize/children.js';
import { versionKeyOf } from '../versioning/version.js';
import type { ViewBinding } from '../serve/binding.js';
import { ResourceView } from '../view.js';
import { PARENT_PK_PARAM } from '../nesting/parent.js';
import { pascalCase } from './names.js';

/** `post` → `postId`, `blog-post` → `blogPostId`: never `id` (the item's own). */
function parentParameterName(parentName: string): string {
  const pascal = pascalCase(parentName);
  return `${pascal[0]!.toLowerCase()}${pascal.slice(1)}Id`;
}

/** One resource class, as the generator sees it. */
export interface ResourceSource {
  /** The Resource class: identity for component names. */
  readonly key: ResourceClass;
  readonly meta: ResourceMeta;
  /** Declared filters, compiled, in declaration order. */
  readonly filters: readonly FilterField[];
  /** Internal field → the resource class that serializes it. */
  readonly related: ReadonlyMap<string, ResourceClass>;
  /** Related fields whose nested objects are created/updated on write. */
  readonly saveRelated: ReadonlySet<string>;
  readonly paging: PageSettings;
  /** Writes on items need `If-Match` (428 without). */
  readonly requireIfMatch: boolean;
  /** The model has a version key: items carry a strong `ETag` (lib/versioning/). */
  readonly versioned: boolean;
  /** The resource's own write permission hooks (they refuse with 403 whatever the view says). */
  readonly hooks: HookOverrides;
  /** The discriminator table, when the resource declares child resources. */
  readonly children?: ChildTable;
  /** For a child resource: the discriminator value of its own type. */
  readonly ownType?: string;
  readonly defaultChild?: string;
}

/** Which permission hooks of the view are the app's (they can refuse with 403). */
export interface HookOverrides {
  readonly add: boolean;
  readonly change: boolean;
  readonly delete: boolean;
}

/** A custom action of a view, at its URL. */
export interface ActionSource {
  readonly action: Action;
  /** The action's URL template (`{id}` for an item action), in the registered (trailing-slash) form. */
  readonly path: string;
}

/** One registered view. */
export interface ViewSource {
  /** The name it was registered under (route name): operation ids and tags derive from it. */
  readonly name: string;
  readonly viewName: string;
  /** Collection URL, prefix included, in its registered (trailing-slash) form. */
  readonly collectionPath: string;
  /** Item URL template with `{id}`. */
  readonly itemPath: string;
  /** The view's aliases (`/users/me/`): name and path, prefix included, as registered. */
  readonly aliases: readonly { readonly name: string; readonly path: string }[];
  /** A nested view (lib/nesting/): its parent view, whose pk is the `{<parentParameter>}` of both paths. */
  readonly parent?: ParentSource;
  /** `GET <collection URL>schema`, when the view enables it. */
  readonly schemaPath?: string;
  readonly methods: readonly MethodMarker[];
  /** Custom actions, in declaration order. */
  readonly actions: readonly ActionSource[];
  readonly strategies: readonly AuthenticationBase[];
  readonly permissions?: MethodPermissions;
  /** The view's permission hooks that are the app's (the resource's own are on `resource.hooks`). */
  readonly hooks: HookOverrides;
  /** `Idempotency-Key` is honoured on its writes (`new MongoRest({ idempotency })`). */
  readonly idempotency: boolean;
  readonly resource: ResourceSource;
}

/** The parent of a nested view, as the generator sees it. */
export interface ParentSource {
  /** The parent view's registered name. */
  readonly name: string;
  /** The path parameter of the parent's pk (`postId`). */
  readonly parameter: string;
  /** API name of the child's field holding the parent's id. */
  readonly field: string;
  readonly resource: ResourceSource;
}

const sources = new WeakMap<ResourceClass, ResourceSource>();

/** The generator's view of a resource class (cached per class, like the meta). */
export function resourceSource(Class: ResourceClass): ResourceSource {
  let source = sources.get(Class);
  if (!source) {
    source = describeResource(Class);
    sources.set(Class, source);
  }
  return source;
}

function describeResource(Class: ResourceClass): ResourceSource {
  const resource = new Class();
  const meta = metaOf(resource);
  const children = childTableOf(resource);
  const declared = Object.keys(resource.filters ?? {});
  const filters = [...compiledFiltersOf(filterTargetOf(resource)).fields].sort((a, b) => declared.indexOf(a.name) - declared.indexOf(b.name));
  const own = children ? [...children.byValue.values()].find((entry) => entry.resourceClass === Class) : undefined;
  return {
    key: Class,
    meta,
    filters,
    related: new Map(Object.entries(resource.relatedResources ?? {}).map(([field, Class]) => [field, resourceClass(Class)])),
    saveRelated: new Set(resource.saveRelatedFields ?? []),
    paging: { paginate: resource.paginate, defaultLimit: resource.defaultLimit, maxLimit: resource.maxLimit },
    requireIfMatch: resource.requireIfMatch === true,
    versioned: versionKeyOf(meta.model) !== undefined,
    hooks: {
      add: resource.hasAddPermission !== Resource.prototype.hasAddPermission,
      change: resource.hasChangePermission !== Resource.prototype.hasChangePermission,
      delete: resource.hasDeletePermission !== Resource.prototype.hasDeletePermission,
    },
    ...(children ? { children } : {}),
    ...(own ? { ownType: own.value } : {}),
    ...(resource.defaultChildResourceDocument !== undefined ? { defaultChild: resource.defaultChildResourceDocument } : {}),
  };
}

const overridden = (view: ResourceView, hook: keyof ResourceView) => view[hook] !== ResourceView.prototype[hook];

/** The generator's view of a registered view. */
export function viewSource(name: string, binding: ViewBinding): ViewSource {
  const { view } = binding;
  const slash = binding.trailingSlash ? '/' : '';
  const link = binding.nesting?.parent;
  const parent = link ? { name: link.name, parameter: parentParameterName(link.name), field: link.apiField, resource: resourceSource(link.binding.view.resource) } : undefined;
  // A nested view's route holds the parent's pk as `:parentPk`; the document names it after the parent.
  const path = parent ? binding.path.replace(`:${PARENT_PK_PARAM}`, `{${parent.parameter}}`) : binding.path;
  return {
    name,
    viewName: view.constructor.name,
    collectionPath: `${path}${slash}`,
    itemPath: `${path}/{id}${slash}`,
    aliases: binding.aliases.names.map((alias) => ({ name: alias, path: `${path}/${alias}${slash}` })),
    ...(parent ? { parent } : {}),
    // Nested registrations serve no schema URL (lib/mongorest.ts).
    ...(view.schemaEndpoint === true && !parent ? { schemaPath: `${binding.path}/schema` } : {}),
    methods: view.methods,
    actions: binding.actions.map((action) => ({
      action,
      path: action.target === 'item' ? `${binding.path}/{id}/${action.name}${slash}` : `${binding.path}/${action.name}${slash}`,
    })),
    strategies: binding.strategies,
    ...(view.permissions !== undefined ? { permissions: view.permissions } : {}),
    hooks: {
      add: overridden(view, 'hasAddPermission'),
      change: overridden(view, 'hasChangePermission'),
      delete: overridden(view, 'hasDeletePermission'),
    },
    idempotency: binding.keyedWrites,
    resource: resourceSource(view.resource),
  };
}
