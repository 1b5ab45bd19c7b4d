/** The `<pk>` route segment cast to the model's `_id` type; anything that does not cast is simply not found. */
import { NotFound } from '../errors.js';
import type { ResourceMeta } from '../resource-meta.js';
import { castId } from './ids.js';

export function castPk(meta: ResourceMeta, raw: string): unknown {
  const pk = castId(meta.schema, raw);
  if (pk === undefined) throw new NotFound();
  return pk;
}
