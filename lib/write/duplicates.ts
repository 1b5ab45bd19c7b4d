/**
 * Unique-index violations → 409 naming the API field. MongoDB reports the index (`keyPattern`,
 * `keyValue`, `index: email_1` in the message); FerretDB reports neither on insert and answers updates
 * with code 1 and its backend's own message: over SQLite "UNIQUE constraint failed: index
 * '<collection>_<hash>_<index>'", over PostgreSQL "duplicate key value violates unique constraint
 * \"<collection>_<hash>_<mangled index>_idx\" (SQLSTATE 23505)". When the error does not say which
 * field, the document's unique indexes are probed (error path only, one query per index).
 */
import { Conflict } from '../errors.js';
import { apiPath } from '../http/field-errors.js';
import type { ResourceMeta } from '../resource-meta.js';
import type { AnyDocument } from '../types.js';

/** The 409 naming the API names of the unique fields (internal `fields`). */
export function duplicateConflict(meta: ResourceMeta, fields: readonly string[]): Conflict {
  const fieldErrors: Record<string, string> = {};
  for (const field of fields) fieldErrors[apiPath(meta, field)] = 'already exists';
  return new Conflict({ error: 'A document with the same unique value already exists.', 'field-errors': fieldErrors });
}

interface ServerError {
  code?: number;
  keyValue?: Record<string, unknown>;
  keyPattern?: Record<string, unknown>;
  errmsg?: string;
  message?: string;
}

/** FerretDB's update duplicates (code 1, InternalError): SQLite's and PostgreSQL's constraint errors. */
const ferretDuplicate = /UNIQUE constraint failed|duplicate key value violates unique constraint .*\(SQLSTATE 23505\)/;

export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as ServerError;
  return code === 11000 || (code === 1 && ferretDuplicate.test(message ?? ''));
}

type IndexKeys = Record<string, unknown>;

interface IndexOptions {
  unique?: boolean;
  name?: string;
  sparse?: boolean;
  partialFilterExpression?: unknown;
}

function uniqueIndexes(meta: ResourceMeta): { name: string; keys: IndexKeys; options: IndexOptions }[] {
  return meta.schema
    .indexes()
    .filter(([, options]) => (options as IndexOptions).unique === true)
    .map(([keys, options]) => ({
      keys: keys as IndexKeys,
      options: options as IndexOptions,
      name: (options as IndexOptions).name ?? Object.entries(keys).map(([k, v]) => `${k}_${String(v)}`).join('_'),
    }));
}

/**
 * Before a bulk update writes anything: the internal names of a unique index it would violate by itself,
 * because it sets every key of the index (same values for all) on more than one document; else `[]`.
 * (Saving them would write the first and fail on the others.) Partial indexes are left to the server, and
 * sparse ones when the values set are all missing.
 */
export function sharedUniqueValues(meta: ResourceMeta, docs: readonly AnyDocument[], data: Record<string, unknown>): string[] {
  if (docs.length < 2) return [];
  for (const { keys, options } of uniqueIndexes(meta)) {
    const paths = Object.keys(keys);
    if (options.partialFilterExpression !== undefined) continue;
    if (!paths.every((path) => Object.hasOwn(data, path.split('.')[0]!))) continue;
    if (options.sparse && paths.every((path) => docs[0]!.get(path) == null)) continue;
    return paths;
  }
  return [];
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
    if (await run(meta.model.exists(probe))) return Object.keys(keys);
  }
  return [];
}
