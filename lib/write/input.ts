/** Request body (API names) → data for `createObject`/`updateObject` (internal names, writable fields only). */
import type { ResourceMeta } from '../resource-meta.js';
import type { PlainDocument } from '../types.js';

export function toInternalData(meta: ResourceMeta, body: Record<string, unknown>): PlainDocument {
  const data: PlainDocument = {};
  for (const [apiName, value] of Object.entries(body)) {
    const internal = meta.byApiName.get(apiName);
    if (internal !== undefined && meta.writable.has(internal)) data[internal] = value;
  }
  return data;
}
