/**
 * Nested sub-resources (`api.register(CommentView, { url: '/comments/', parent: { view: 'post', field: 'post' } })`):
 * what `register` checks about the `parent` option, and the resolved link a nested view is served with.
 * Every mistake throws here, at startup, with a sentence saying what to change.
 */
import type { ResourceMeta } from '../resource-meta.js';
import type { ViewBinding } from '../serve/binding.js';

/** The `parent` option of `api.register`: under which registered view, through which field of the child. */
export interface ParentOption {
  /**
   * The parent view: the name it was registered under (`'post'`, the default name of a view of `Post`),
   * else its collection URL as registered, with or without slashes (`'posts'`, `'/posts/'`).
   */
  view: string;
  /** The child's schema path (internal name, top level) holding the parent's id, e.g. `'post'`. */
  field: string;
}

/** One registered view, as the parent lookup sees it. */
export interface RegisteredView {
  name: string;
  /** Collection URL as registered, without the prefix, without trailing slash (`/posts`). */
  base: string;
  binding: ViewBinding;
  /** Set when that view is itself nested. */
  parent?: ParentLink;
}

/** A nested view's parent, resolved at register time. */
export interface ParentLink {
  /** The parent view's registered name (operation ids and the default name derive from it). */
  readonly name: string;
  readonly binding: ViewBinding;
  /** Internal name of the child's field that holds the parent's id. */
  readonly field: string;
  /** The field's name in request and response bodies. */
  readonly apiField: string;
  /** The parent's collection URL without the prefix (`/posts`): the nested route starts with it. */
  readonly base: string;
}

/** The route parameter holding the parent's pk (never `pk`, the child's own). */
export const PARENT_PK_PARAM = 'parentPk';

const shapeHint = "{ view: '<registered view name>', field: '<schema path of the child holding the parent id>' }";

/**
 * Resolves and checks `option` for the view `viewName` serving `child`; `registered` are the views
 * registered so far (a parent must be registered before the views nested under it).
 */
export function resolveParent(option: unknown, viewName: string, child: ResourceMeta, registered: readonly RegisteredView[]): ParentLink {
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`The parent option of ${viewName} must be ${shapeHint}.`);
  }
  const { view, field } = option as Partial<ParentOption>;
  if (typeof view !== 'string' || view === '' || typeof field !== 'string' || field === '') {
    throw new TypeError(`The parent option of ${viewName} must be ${shapeHint}.`);
  }
  const parent = findParent(view, registered);
  if (!parent) {
    const known = registered.filter((entry) => !entry.parent).map((entry) => `"${entry.name}" (${entry.base}/)`);
    throw new Error(
      `${viewName}: no view named ${JSON.stringify(view)} is registered. Register the parent view first, then the views nested under it` +
        (known.length > 0 ? `; registered: ${known.join(', ')}.` : '.'),
    );
  }
  if (parent.parent) {
    throw new Error(`${viewName} cannot be nested under ${JSON.stringify(parent.name)}, which is itself nested: one level of nesting only.`);
  }
  checkParentField(viewName, child, field, parent.binding.meta);
  return { name: parent.name, binding: parent.binding, field, apiField: child.apiNames.get(field) ?? field, base: parent.base };
}

/** By registered name first, else by collection URL (`posts`, `/posts`, `/posts/`). */
function findParent(view: string, registered: readonly RegisteredView[]): RegisteredView | undefined {
  const byName = registered.find((entry) => entry.name === view);
  if (byName) return byName;
  const url = `/${view.replace(/^\/+|\/+$/g, '')}`;
  return registered.find((entry) => !entry.parent && entry.base === url);
}

interface SchemaTypeLike {
  instance?: string;
  options?: { ref?: unknown };
  $isMongooseArray?: boolean;
}

/** The field must be a top-level, single-valued path of the child typed like the parent's `_id` (and referencing its model, if it names one). */
function checkParentField(viewName: string, child: ResourceMeta, field: string, parent: ResourceMeta): void {
  const where = `${viewName}: the parent field ${JSON.stringify(field)}`;
  if (field.includes('.')) throw new TypeError(`${where} must be a top-level path of the ${child.model.modelName} schema.`);
  if (field === '_id') throw new TypeError(`${where} cannot be the child's own _id.`);
  const type = child.schema.path(field) as unknown as SchemaTypeLike | undefined;
  if (!type) throw new TypeError(`${where} is not a path of the ${child.model.modelName} schema.`);
  const parentId = parent.schema.path('_id') as unknown as SchemaTypeLike | undefined;
  const idType = parentId?.instance ?? 'ObjectId';
  if (type.instance === 'Array' || type.$isMongooseArray) {
    throw new TypeError(`${where} is an array: a nested view needs a single reference to its parent (${parent.model.modelName} ${idType}).`);
  }
  if (type.instance !== idType) {
    throw new TypeError(`${where} is a ${type.instance ?? 'value'}; it must hold ${parent.model.modelName} ids (${idType}, like ${parent.model.modelName}._id).`);
  }
  const ref = type.options?.ref;
  const refName = typeof ref === 'string' ? ref : typeof ref === 'function' && 'modelName' in ref ? String((ref as { modelName: unknown }).modelName) : undefined;
  if (refName !== undefined && refName !== parent.model.modelName) {
    throw new TypeError(`${where} references ${refName}, not ${parent.model.modelName} (the documents of the parent view).`);
  }
}
