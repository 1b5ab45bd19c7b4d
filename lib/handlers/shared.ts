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

/** A saved Mongoose document in the same plain shape a lean read gives, so writes answer like GET. */
export function plainOf(doc: AnyDocument): PlainDocument {
  return doc.toObject({
    depopulate: true,
    flattenMaps: true,
    versionKey: true,
    virtuals: false,
    getters: false,
    transform: false,
  }) as PlainDocument;
}
