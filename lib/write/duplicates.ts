/**
 * Unique-index violations → 409 naming the API field. MongoDB reports the index (`keyPattern`,
 * `keyValue`, `index: email_1` in the message); FerretDB reports neither on insert and answers updates
 * with code 1 "UNIQUE constraint failed: index '<collection>_<hash>_<index>'". When the error does not
 * say which field, the document's unique indexes are probed (error path only, one query per index).
 */
import type { ResourceMeta } from '../resource-meta.js';
import type { AnyDocument } from '../types.js';

interface ServerError {
  code?: number;
  keyValue?: Record<string, unknown>;
  keyPattern?: Record<string, unknown>;
  errmsg?: string;
  message?: string;
}

export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as ServerError;
  return code === 11000 || (code === 1 && /UNIQUE constraint failed/.test(message ?? ''));
}

type IndexKeys = Record<string, unknown>;

function uniqueIndexes(meta: ResourceMeta): { name: string; keys: IndexKeys }[] {
  return meta.schema
    .indexes()
    .filter(([, options]) => (options as { unique?: boolean }).unique === true)
    .map(([keys, options]) => ({
      keys: keys as IndexKeys,
      name: (options as { name?: string }).name ?? Object.entries(keys).map(([k, v]) => `${k}_${String(v)}`).join('_'),
    }));
}

/** Internal field names of the violated index, or `[]` when they cannot be told. */
export async function duplicateFields(
  error: unknown,
  meta: ResourceMeta,
  doc: AnyDocument | undefined,
  run: <T>(operation: PromiseLike<T>) => Promise<T>,
): Promise<string[]> {
  const { keyPattern, keyValue, errmsg, message } = error as ServerError;
  const fromKeys = Object.keys(keyPattern ?? keyValue ?? {});
  if (fromKeys.length > 0) return fromKeys;
  const text = `${errmsg ?? ''} ${message ?? ''}`;
  const indexes = uniqueIndexes(meta);
  const named = indexes.find(({ name }) => text.includes(`index: ${name} `) || text.includes(`_${name}'`));
  if (named) return Object.keys(named.keys);
  if (!doc) return [];
  for (const { keys } of indexes) {
    const probe: Record<string, unknown> = { _id: { $ne: doc._id } };
    for (const key of Object.keys(keys)) probe[key] = doc.get(key) ?? null;
    if (await run(meta.model.exists(probe).exec())) return Object.keys(keys);
  }
  return [];
}
