/**
 * When a POST may insert its validated document with one `insertOne` (insert.ts) instead of `save()`:
 * when nothing that `save()` runs for a new document could tell the difference. Decided once per
 * resource class (its overrides, its model's schema and middleware) and, for what an app can change at
 * any time (listeners, tracing subscribers), per request.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { inheritsDefault } from '../direct-update/eligible.js';
import { hasAppMiddleware } from '../model-hooks.js';
import type { Resource } from '../resource.js';
import type { AnyModel } from '../types.js';
import { versionKeyOf } from '../versioning/version.js';

/** Mongoose's tracing channel of `save()` (Mongoose ≥ 9): an APM tool listening must keep seeing every save. */
const saveTracing = tracingChannel('mongoose:model:save');

/** Resource methods of the create path: a resource that overrides one keeps `createObject` → `save()`. */
const createMethods = ['createObject', 'validateDocument', 'saveDocument'] as const;

/** How the timestamps of a new document are set (Mongoose's `timestampsPreSave`), or `undefined` without timestamps. */
export interface TimestampPlan {
  createdAt: string | undefined;
  updatedAt: string | undefined;
  /** The schema's `timestamps.currentTime`, else `undefined` (then `mongoose.now()`). */
  currentTime: (() => unknown) | undefined;
}

/** What a direct insert of a resource class needs to know, or `undefined` when it must `save()`. */
export interface InsertPlan {
  versionKey: string | undefined;
  timestamps: TimestampPlan | undefined;
}

const plans = new WeakMap<object, InsertPlan | undefined>();

/**
 * How `resource` may insert a new document directly, or `undefined` when the POST must go through
 * `createObject` and `save()` (see docs/performance.md, "POST without save()").
 */
export function insertPlan(resource: Resource): InsertPlan | undefined {
  const key = resource.constructor;
  if (!plans.has(key)) plans.set(key, planFor(resource));
  const plan = plans.get(key);
  return plan && !watched(resource.document) ? plan : undefined;
}

function planFor(resource: Resource): InsertPlan | undefined {
  if (!resource.directCreates) return undefined;
  if (createMethods.some((name) => !inheritsDefault(resource, name))) return undefined;
  const model = resource.document;
  const schema = model.schema as unknown as { options: Record<string, unknown>; childSchemas?: unknown[]; $timestamps?: { createdAt?: unknown; updatedAt?: unknown } };
  // Polymorphic models: each type's document is saved by its own model, with its own middleware.
  const discriminators = (model as unknown as { discriminators?: object }).discriminators;
  if ((discriminators && Object.keys(discriminators).length > 0) || (model as unknown as { baseModelName?: string }).baseModelName) return undefined;
  // Sharded saves go through the sharding plugin; optimistic concurrency versions every save.
  if (schema.options.shardKey || schema.options.optimisticConcurrency) return undefined;
  // Sub-documents run their own save middleware (and timestamps) inside `save()`.
  if (!Array.isArray(schema.childSchemas) || schema.childSchemas.length > 0) return undefined;
  if (hasAppMiddleware(model, ['save'])) return undefined;
  // Items of Mongoose arrays are read through their getters (the answer `save()`'s path builds shows them so).
  if (hasArrayItemGetters(model.schema as unknown as SchemaLike)) return undefined;
  const versionKey = versionKeyOf(model);
  if (versionKey?.includes('.')) return undefined;
  const timestamps = timestampPlan(schema.options.timestamps, schema.$timestamps);
  if (timestamps === null) return undefined;
  return { versionKey, timestamps };
}

/**
 * The schema's timestamp paths, `undefined` without timestamps, `null` when they cannot be read or are
 * nested (a dotted name): then the POST saves.
 */
export function timestampPlan(option: unknown, paths: { createdAt?: unknown; updatedAt?: unknown } | undefined): TimestampPlan | undefined | null {
  if (!option) return undefined;
  if (paths === undefined || paths === null) return null;
  const name = (value: unknown): string | undefined | null => (value === undefined || value === null ? undefined : typeof value === 'string' && value !== '' && !value.includes('.') ? value : null);
  const createdAt = name(paths.createdAt);
  const updatedAt = name(paths.updatedAt);
  if (createdAt === null || updatedAt === null) return null;
  const currentTime = typeof option === 'object' && Object.hasOwn(option, 'currentTime') ? (option as { currentTime?: unknown }).currentTime : undefined;
  if (currentTime !== undefined && currentTime !== null && typeof currentTime !== 'function') return null;
  return { createdAt, updatedAt, currentTime: (currentTime ?? undefined) as (() => unknown) | undefined };
}

interface SchemaTypeLike {
  instance?: string;
  getters?: unknown[];
  embeddedSchemaType?: SchemaTypeLike;
  caster?: SchemaTypeLike;
}

interface SchemaLike {
  eachPath(fn: (path: string, type: SchemaTypeLike) => void): void;
}

function hasArrayItemGetters(schema: SchemaLike): boolean {
  let found = false;
  schema.eachPath((_path, type) => {
    const item = type.instance === 'Array' ? (type.embeddedSchemaType ?? type.caster) : undefined;
    if (item && (!Array.isArray(item.getters) || item.getters.length > 0)) found = true;
  });
  return found;
}

/** The events a model emits when `save()` inserts a document. */
const saveEvents = ['save', 'isNew'] as const;

/** Someone listens to the saves of `model`: `Model.on('save' | 'isNew')` listeners, or a tracing subscriber. */
function watched(model: AnyModel): boolean {
  if (saveTracing.hasSubscribers !== false) return true;
  const listeners = (model as unknown as { listeners?: (event: string) => unknown[] }).listeners;
  if (typeof listeners !== 'function') return true;
  return saveEvents.some((event) => listeners.call(model, event).length > 0);
}
