/** Small pieces the handlers share. */
import type { FilterTarget } from '../query/filters.js';
import type { Resource } from '../resource.js';
import type { AnyDocument, PlainDocument } from '../types.js';

const filterTargets = new WeakMap<object, FilterTarget>();

/**
 * What the filter builder needs of a resource, one object per Resource class (filters are class fields,
 * the same for every instance), so the compiled filter table is cached with it (query/filters.ts).
 */
export function filterTargetOf(resource: Resource): FilterTarget {
  const key = resource.constructor;
  let target = filterTargets.get(key);
  if (!target) {
    const meta = resource.meta;
    target = {
      schema: meta.schema,
      filters: resource.filters,
      toInternalPath(apiPath) {
        const [head, ...rest] = apiPath.split('.');
        return [meta.byApiName.get(head!) ?? head!, ...rest].join('.');
      },
    };
    filterTargets.set(key, target);
  }
  return target;
}

/**
 * A value `toObject` gives back as it is, or as an equal copy (an ObjectId or a Date): what a document of
 * scalars holds. Anything else — sub-documents, nested objects, maps, populated documents, buffers — needs
 * `toObject` (depopulation, minimizing, flattening).
 */
export function isScalar(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (value instanceof Date) return true;
  return (value as { _bsontype?: unknown })._bsontype === 'ObjectId';
}

/**
 * A saved Mongoose document in the same plain shape a lean read gives, so writes answer like GET. A
 * document holding only scalars and arrays of scalars (most write answers) is copied key by key — what
 * `toObject` would give, for a fraction of its cost (fast-paths.test.ts compares both).
 */
export function plainOf(doc: AnyDocument): PlainDocument {
  const stored = (doc as unknown as { _doc?: Record<string, unknown> })._doc;
  if (stored && Object.getPrototypeOf(stored) === Object.prototype) {
    const copy: PlainDocument = {};
    let flat = true;
    for (const key of Object.keys(stored)) {
      const value = stored[key];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        if (!value.every(isScalar)) {
          flat = false;
          break;
        }
        copy[key] = Array.from(value as unknown[]);
      } else if (isScalar(value)) {
        copy[key] = value;
      } else {
        flat = false;
        break;
      }
    }
    if (flat) return copy;
  }
  return doc.toObject({
    depopulate: true,
    flattenMaps: true,
    versionKey: true,
    virtuals: false,
    getters: false,
    transform: false,
  }) as PlainDocument;
}
