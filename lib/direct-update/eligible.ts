/**
 * When a PUT may be one `findOneAndUpdate` (update.ts) instead of load → change → validate → save: when
 * nothing that the load-and-save path runs could tell the difference. Decided once per resource class
 * (its overrides, its model's middleware and schema) and per path written.
 */
import type { Resource } from '../resource.js';
import { scopeKey } from '../resource/scope.js';
import type { AnyModel } from '../types.js';
import { versionKeyOf } from '../versioning/version.js';
import { hasAppMiddleware } from '../model-hooks.js';

/** What the load-and-save path runs of the model's middleware; the direct path runs `findOneAndUpdate`'s. */
const skippedHooks = ['findOne', 'init', 'validate', 'save', 'findOneAndUpdate'] as const;

/** Resource methods of the load-and-save path: a resource that overrides one keeps that path. */
const writeMethods = ['getObject', 'validateRequest', 'updateObject', 'applyChanges', 'validateDocument', 'saveDocument', 'hasChangePermission'] as const;

/** Types whose value `doc.set` and update casting store the same way, compared by `$ne` as Mongoose compares them. */
const scalarTypes = new Set(['String', 'Number', 'Date', 'Boolean', 'ObjectId']);

/** Validators that read only the value (not the document through `this`). */
const valueValidators = new Set(['required', 'min', 'max', 'enum', 'minlength', 'maxlength', 'regexp']);

/** Mongoose's own string setters (options `trim`, `lowercase`, `uppercase`): idempotent, `this`-free. */
const builtInSetterOptions = ['trim', 'lowercase', 'uppercase'] as const;

interface SchemaTypeLike {
  instance?: string;
  setters?: unknown[];
  validators?: { type?: string }[];
  options?: Record<string, unknown>;
  originalRequiredValue?: unknown;
  embeddedSchemaType?: SchemaTypeLike;
  caster?: SchemaTypeLike;
}

/** Per resource class: the top-level paths a direct update may write, or `undefined` when it never may. */
const plans = new WeakMap<object, ReadonlySet<string> | undefined>();

/**
 * The paths a PUT of `resource` may write directly, or `undefined` when the resource must load and save
 * (see docs/performance.md, "PUT in one round trip"). The view's `hasChangePermission` is checked per
 * request: the same resource class can be served by several views.
 */
export function directPaths(resource: Resource): ReadonlySet<string> | undefined {
  const key = resource.constructor;
  if (!plans.has(key)) plans.set(key, planFor(resource));
  const paths = plans.get(key);
  return paths && inheritsDefault(resource[scopeKey].permissions, 'hasChangePermission') ? paths : undefined;
}

function planFor(resource: Resource): ReadonlySet<string> | undefined {
  const model = resource.document;
  if (!resource.directUpdates) return undefined;
  if (Object.keys(resource.childDocumentResources).length > 0 || resource.saveRelatedFields.length > 0) return undefined;
  if (writeMethods.some((name) => !inheritsDefault(resource, name))) return undefined;
  // Polymorphic models load as the stored type; sharded ones save by shard key.
  const schema = model.schema as unknown as { options: Record<string, unknown>; eachPath(fn: (path: string, type: SchemaTypeLike) => void): void };
  const discriminators = (model as unknown as { discriminators?: object }).discriminators;
  if ((discriminators && Object.keys(discriminators).length > 0) || (model as unknown as { baseModelName?: string }).baseModelName) return undefined;
  // Sharded saves filter by shard key; optimistic concurrency makes every save conditional on the loaded version.
  if (schema.options.shardKey || schema.options.optimisticConcurrency) return undefined;
  if (hasAppMiddleware(model, skippedHooks)) return undefined;
  const reserved = reservedPaths(model, schema.options);
  const paths = new Set<string>();
  let hidden = false;
  schema.eachPath((path, type) => {
    // `select: false` paths: a hydrated load leaves them out; the returned document must too.
    if (type.options?.select === false) hidden = true;
    if (!path.includes('.') && !reserved.has(path) && isDirectPath(type)) paths.add(path);
  });
  return hidden ? undefined : paths;
}

/** Paths the library or Mongoose writes itself: the id, the version, the timestamps, the discriminator key. */
function reservedPaths(model: AnyModel, options: Record<string, unknown>): Set<string> {
  const reserved = new Set(['_id']);
  const versionKey = versionKeyOf(model);
  if (versionKey) reserved.add(versionKey);
  const timestamps = options.timestamps;
  if (timestamps) {
    const names = typeof timestamps === 'object' ? (timestamps as { createdAt?: unknown; updatedAt?: unknown }) : {};
    reserved.add(typeof names.createdAt === 'string' ? names.createdAt : 'createdAt');
    reserved.add(typeof names.updatedAt === 'string' ? names.updatedAt : 'updatedAt');
  }
  const discriminatorKey = options.discriminatorKey;
  reserved.add(typeof discriminatorKey === 'string' ? discriminatorKey : '__t');
  return reserved;
}

/** A scalar path, or an array of scalars, with only value validators and Mongoose's own string setters. */
function isDirectPath(type: SchemaTypeLike): boolean {
  if (type.instance === 'Array') {
    const item = type.embeddedSchemaType ?? type.caster;
    return item !== undefined && isDirectScalar(item) && isPlainPath(type);
  }
  return isDirectScalar(type);
}

function isDirectScalar(type: SchemaTypeLike): boolean {
  return scalarTypes.has(type.instance ?? '') && isPlainPath(type);
}

function isPlainPath(type: SchemaTypeLike): boolean {
  const options = type.options ?? {};
  if (options.immutable) return false;
  const builtInSetters = builtInSetterOptions.filter((name) => options[name] === true).length;
  if ((type.setters?.length ?? 0) > builtInSetters) return false;
  // `required: function () {…}` reads the document.
  if (typeof type.originalRequiredValue === 'function') return false;
  return (type.validators ?? []).every((validator) => valueValidators.has(validator.type ?? ''));
}

/** Whether `owner[name]` is the implementation of the class at the root of its prototype chain. */
export function inheritsDefault(owner: object, name: string): boolean {
  let root: object = owner;
  for (let proto = Object.getPrototypeOf(owner) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) root = proto;
  return (owner as Record<string, unknown>)[name] === (root as Record<string, unknown>)[name];
}
