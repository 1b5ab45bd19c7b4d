/**
 * Registration-time checks of the relation settings of a Resource class (`relatedResources`,
 * `saveRelatedFields`, `childDocumentResources`, `defaultChildResourceDocument`): a mistake throws a
 * `TypeError` when the view is registered, never at request time.
 */
import type { Schema } from 'mongoose';
import type { Resource } from '../resource.js';
import { childTableOf } from './children.js';

/**
 * Throws when a relation setting names something that does not exist. `known` are the resource's
 * fields and optional fields (internal names).
 */
export function checkRelationConfig(resource: Resource, name: string, schema: Schema, known: readonly string[]): void {
  const related = resource.relatedResources ?? {};
  const isField = (field: string) => known.includes(field) || schema.pathType(field) !== 'adhocOrUndefined';
  for (const [field, Class] of Object.entries(related)) {
    if (typeof Class !== 'function') throw new TypeError(`${name}.relatedResources[${JSON.stringify(field)}] must be a Resource class.`);
    if (!isField(field)) throw new TypeError(`${name}.relatedResources names an unknown field ${JSON.stringify(field)}.`);
  }
  for (const field of resource.saveRelatedFields ?? []) {
    if (!Object.hasOwn(related, field)) {
      throw new TypeError(`${name}.saveRelatedFields: ${JSON.stringify(field)} needs a related resource in relatedResources.`);
    }
    if (schema.pathType(field) !== 'real') {
      throw new TypeError(`${name}.saveRelatedFields: ${JSON.stringify(field)} must be a reference path of the schema.`);
    }
  }
  childTableOf(resource);
}
