/** The `<pk>` route segment cast to the model's `_id` type; anything that does not cast is simply not found. */
import { NotFound } from '../errors.js';
import type { ResourceMeta } from '../resource-meta.js';

export function castPk(meta: ResourceMeta, raw: string): unknown {
  const idType = meta.schema.path('_id') as unknown as { cast(value: unknown): unknown } | undefined;
  if (!idType) return raw;
  try {
    const value = idType.cast(raw);
    if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))) throw new NotFound();
    return value;
  } catch {
    throw new NotFound();
  }
}
