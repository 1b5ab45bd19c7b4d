/** Small pieces the handlers share. */
import type { FilterTarget } from '../query/filters.js';
import type { Resource } from '../resource.js';
import type { AnyDocument, PlainDocument } from '../types.js';

export function filterTargetOf(resource: Resource): FilterTarget {
  const meta = resource.meta;
  return {
    schema: meta.schema,
    filters: resource.filters,
    toInternalPath(apiPath) {
      const [head, ...rest] = apiPath.split('.');
      return [meta.byApiName.get(head!) ?? head!, ...rest].join('.');
    },
  };
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
