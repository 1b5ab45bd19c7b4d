/**
 * Custom actions: routes of a view beyond CRUD (`POST /posts/<pk>/publish/`, `POST /posts/publish-all/`),
 * declared with `action({...})` in a view's `actions`. This module builds and checks them; running one is
 * lib/actions/run.ts.
 */
import { allMethods, type Verb } from '../methods.js';
import type { JsonSchema } from '../openapi/types.js';
import type { Resource } from '../resource.js';
import type { AnyModel, MaybePromise, RequestContext } from '../types.js';
import type { DocumentOf } from '../typing/model.js';

/** `item`: `<collection URL><pk>/<name>/`, on one document; `collection`: `<collection URL><name>/`. */
export type ActionTarget = 'item' | 'collection';
/** The verbs an action may answer (one per action); HEAD answers a GET action, OPTIONS every action. */
export type ActionVerb = Verb;

/** What an item action's handler receives besides `ctx`. */
export interface ItemActionInput<M extends AnyModel = AnyModel> {
  /** The document, loaded as Fetch loads it (queryset, `hasReadPermission`): a hydrated Mongoose document. */
  doc: DocumentOf<M>;
  /** The resource instance serving the request (its `run`/`runWrite` keep the database deadline). */
  resource: Resource<M>;
  /** The parsed JSON body, or `undefined` when the request has none (or the verb is GET). */
  body: unknown;
}

/** What a collection action's handler receives besides `ctx`. */
export interface CollectionActionInput<M extends AnyModel = AnyModel> {
  resource: Resource<M>;
  body: unknown;
}

interface ActionSpecBase {
  /** The URL segment and the action's key in the view's `permissions` table, e.g. `publish`. */
  name: string;
  /** Default `POST`. */
  verb?: ActionVerb;
  /** One line for the OpenAPI document. */
  summary?: string;
  description?: string;
  /** JSON Schema of the body, for the OpenAPI document only (the handler validates). */
  requestSchema?: JsonSchema;
  /**
   * For the OpenAPI document: the JSON Schema of the 200 answer, or `'document'` when the action answers
   * a document of the resource (its output schema, `_fields` applying). Declared, the action is described
   * as answering 200 only; without it, as answering any JSON (200) or nothing (204).
   */
  responseSchema?: JsonSchema | 'document';
}

/** `action({ target: 'item', ... })`. */
export interface ItemActionSpec<M extends AnyModel = AnyModel> extends ActionSpecBase {
  target: 'item';
  handler: (ctx: RequestContext, input: ItemActionInput<M>) => MaybePromise<unknown>;
}

/** `action({ target: 'collection', ... })`. */
export interface CollectionActionSpec<M extends AnyModel = AnyModel> extends ActionSpecBase {
  target: 'collection';
  handler: (ctx: RequestContext, input: CollectionActionInput<M>) => MaybePromise<unknown>;
}

/** A custom action, as `action({...})` built it: what a view lists in `actions`. */
export interface Action {
  readonly name: string;
  readonly target: ActionTarget;
  readonly verb: ActionVerb;
  readonly summary?: string;
  readonly description?: string;
  readonly requestSchema?: JsonSchema;
  readonly responseSchema?: JsonSchema | 'document';
  /** @internal The handler, called by lib/actions/run.ts with the input of the action's target. */
  readonly handler: (ctx: RequestContext, input: ItemActionInput | CollectionActionInput) => MaybePromise<unknown>;
}

/** Letters, digits, `-` and `_`, starting with a letter: a literal URL segment that needs no escaping. */
const segment = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const verbs: ReadonlySet<string> = new Set<ActionVerb>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const methodNames: ReadonlySet<string> = new Set(allMethods.map((marker) => marker.name));
/** Actions made by `action()`: a view's `actions` may hold nothing else. */
const built = new WeakSet<object>();

/**
 * A custom action for a view's `actions`. An `item` action answers `<verb> <collection URL><pk>/<name>/`
 * on the document Fetch would find (404 otherwise); a `collection` action `<verb> <collection URL><name>/`.
 * Both run after authentication and need a rule under `name` when the view has a `permissions` table.
 * The handler's return value is the answer: a document of the resource's model is serialized by the
 * resource (`_fields` applies), any other value is sent as JSON, `undefined` answers 204. See docs/views.md.
 *
 * @example
 * ```ts
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Fetch];
 *   actions = [
 *     action({
 *       name: 'publish',
 *       target: 'item',
 *       verb: 'POST',
 *       handler: (ctx, { doc, resource }) => resource.updateObject(ctx, doc, { published: true }),
 *     }),
 *   ];
 *   permissions = { List: allow, Fetch: allow, publish: authenticated };
 * }
 * ```
 */
export function action<M extends AnyModel = AnyModel>(spec: ItemActionSpec<M> | CollectionActionSpec<M>): Action {
  if (spec === null || typeof spec !== 'object') throw new TypeError('action() needs an object: { name, target, verb, handler }.');
  const { name, target, verb = 'POST', handler, summary, description, requestSchema, responseSchema } = spec as ActionSpecBase & { target: unknown; handler: unknown };
  if (typeof name !== 'string' || !segment.test(name)) {
    throw new TypeError(`action() name must be a URL segment of up to 64 letters, digits, "-" and "_", starting with a letter (got ${describe(name)}).`);
  }
  if (methodNames.has(name)) throw new TypeError(`action() name ${JSON.stringify(name)} is a method name; the permissions table could not tell them apart.`);
  if (target !== 'item' && target !== 'collection') throw new TypeError(`action ${JSON.stringify(name)}: target must be "item" or "collection" (got ${describe(target)}).`);
  if (typeof verb !== 'string' || !verbs.has(verb)) throw new TypeError(`action ${JSON.stringify(name)}: verb must be one of ${[...verbs].join(', ')} (got ${describe(verb)}).`);
  if (typeof handler !== 'function') throw new TypeError(`action ${JSON.stringify(name)}: handler must be a function.`);
  for (const [key, value] of Object.entries({ summary, description })) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`action ${JSON.stringify(name)}: ${key} must be a string.`);
  }
  for (const [key, value] of Object.entries({ requestSchema, responseSchema: responseSchema === 'document' ? undefined : responseSchema })) {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new TypeError(`action ${JSON.stringify(name)}: ${key} must be a JSON Schema object${key === 'responseSchema' ? " or 'document'" : ''}.`);
    }
  }
  if (requestSchema !== undefined && verb === 'GET') throw new TypeError(`action ${JSON.stringify(name)}: a GET action reads no body, so it takes no requestSchema.`);
  const made: Action = Object.freeze({
    name,
    target,
    verb,
    handler: handler as Action['handler'],
    ...(summary !== undefined ? { summary } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(requestSchema !== undefined ? { requestSchema } : {}),
    ...(responseSchema !== undefined ? { responseSchema } : {}),
  });
  built.add(made);
  return made;
}

/** What registering a view's actions must not collide with. */
export interface ActionRoutes {
  viewName: string;
  /** Whether `<collection URL>schema` is served. */
  schemaEndpoint: boolean;
  /** Whether `name` would be taken for a pk on the item route (it casts to the `_id` type). */
  isPk(name: string): boolean;
}

/**
 * Checks a view's `actions` at registration: built by `action()`, names unique, and no collection action
 * whose URL another route answers — `schema` when the schema endpoint is on, or a name that is a valid pk
 * (`<collection URL><name>/` is then also the URL of the document with that pk). Throws a `TypeError`.
 *
 * @internal
 * @example
 * ```ts
 * const actions = checkActions(view.actions, { viewName: 'PostView', schemaEndpoint: false, isPk });
 * ```
 */
export function checkActions(actions: unknown, routes: ActionRoutes): readonly Action[] {
  const { viewName } = routes;
  if (actions === undefined) return [];
  if (!Array.isArray(actions)) throw new TypeError(`${viewName}.actions must be a list of action({...}) values.`);
  const names = new Set<string>();
  for (const [index, entry] of (actions as unknown[]).entries()) {
    if (entry === null || typeof entry !== 'object' || !built.has(entry)) throw new TypeError(`${viewName}.actions[${index}] was not built with action({...}).`);
    const { name, target } = entry as Action;
    if (names.has(name)) throw new TypeError(`${viewName}.actions has two actions named ${JSON.stringify(name)}.`);
    names.add(name);
    if (target !== 'collection') continue;
    if (name === 'schema' && routes.schemaEndpoint) {
      throw new TypeError(`${viewName}: the collection action "schema" collides with the schema endpoint (schemaEndpoint = true).`);
    }
    if (routes.isPk(name)) {
      throw new TypeError(
        `${viewName}: the collection action ${JSON.stringify(name)} collides with the document whose pk is ${JSON.stringify(name)} (its URL would be the same); choose a name that is not a valid pk, or make it an item action.`,
      );
    }
  }
  return actions as readonly Action[];
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'function' ? 'a function' : String(value);
}
