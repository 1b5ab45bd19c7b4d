/**
 * What a read loads for the fields a response outputs: the projection of a page (`projectionFor`) and of
 * one document (plus the version key, the item's ETag). The default fields' are made once per class.
 */
import { Resource } from '../resource.js';
import { polymorphicProjection } from '../serialize/children.js';
import { versionKeyOf } from '../versioning/version.js';

/** The default `projectionFor`: what loads `fields` (all of a document when a computed field is among them). */
export function projectionOf(resource: Resource, fields: readonly string[]): Record<string, 1> | undefined {
  const meta = resource.meta;
  if (fields.some((field) => meta.computed.has(field))) return undefined;
  // Every stored path wanted (the default fields) of a single-type collection: a projection would only
  // cost the server work. (Polymorphic collections keep theirs: child types have paths of their own.)
  const wanted = new Set(fields);
  const polymorphic = Object.keys(resource.childDocumentResources).length > 0;
  if (!polymorphic && meta.storedPaths.every((path) => wanted.has(path))) return undefined;
  const projection: Record<string, 1> = { _id: 1 };
  for (const field of fields) if (field !== 'id') projection[field] = 1;
  // Polymorphic collections keep the discriminator key and the paths of the child resources.
  return polymorphicProjection(resource, projection);
}

/** The projections of a class's default fields: of a page (`projectionFor`) and of one document (`itemProjection`). */
interface DefaultProjections {
  readonly projection: Readonly<Record<string, 1>> | undefined;
  readonly item: Readonly<Record<string, 1>> | undefined;
}

/** Per Resource class, like the meta (its fields, child resources and schema are the class's). */
const defaultProjectionCache = new WeakMap<object, DefaultProjections>();

export function defaultProjections(resource: Resource): DefaultProjections {
  let cached = defaultProjectionCache.get(resource.constructor);
  if (!cached) {
    const projection = projectionOf(resource, resource.meta.fields);
    const item = withVersionKey(resource, projection);
    cached = { projection: projection && Object.freeze(projection), item: item && Object.freeze(item) };
    defaultProjectionCache.set(resource.constructor, cached);
  }
  return cached;
}

/** What a read of one document loads: the projection of `fields` plus the version key, which is the item's ETag (versioning/conditional.ts); `undefined`: whole. */
export function itemProjection(resource: Resource, fields: readonly string[]): Record<string, 1> | undefined {
  if (fields === resource.meta.fields && resource.projectionFor === Resource.prototype.projectionFor) return defaultProjections(resource).item;
  return withVersionKey(resource, resource.projectionFor(fields));
}

function withVersionKey(resource: Resource, projection: Record<string, 1> | undefined): Record<string, 1> | undefined {
  const versionKey = versionKeyOf(resource.document);
  return projection && versionKey !== undefined ? { ...projection, [versionKey]: 1 } : projection;
}
