/**
 * Whether a model runs middleware of its app's own (or of a plugin) for some hooks, as opposed to the
 * middleware Mongoose installs on every model (saving sub-documents, sharding, transactions, timestamps,
 * validate-before-save). The direct paths (query/direct-read.ts, direct-update/) skip Mongoose's hook
 * machinery: they may only be taken when nothing of the app's is on the hooks they skip.
 */
import type { AnyModel } from './types.js';

/** Mongoose ≥ 9 marks its own middleware with this registered symbol (8 marks only the timestamps'). */
const builtInMarker = Symbol.for('mongoose:built-in-middleware');

/** Mongoose's own middleware by function name, for the versions that do not mark it (8.x). */
const builtInNames = new Set([
  'validateBeforeSave',
  'saveSubdocsPreSave',
  'saveSubdocsPostSave',
  'saveSubdocsPreDeleteOne',
  'saveSubdocsPostDeleteOne',
  'shardingPluginPreSave',
  'shardingPluginPostSave',
  'shardingPluginPostInit',
  'shardingPluginPreRemove',
  'shardingPluginPreDeleteOne',
  'shardingPluginPreUpdateOne',
  'trackTransactionPreSave',
  'trackTransactionPreDeleteOne',
  'timestampsPreSave',
  '_setTimestampsOnUpdate',
]);

interface Hook {
  fn?: { name?: string; [builtInMarker]?: unknown };
}

interface HookTable {
  _pres?: Map<string, Hook[]>;
  _posts?: Map<string, Hook[]>;
}

function isBuiltIn(hook: Hook): boolean {
  const fn = hook.fn;
  return fn !== undefined && (fn[builtInMarker] === true || builtInNames.has(fn.name ?? ''));
}

/** True when the hook table (Kareem's) has a pre or post hook for any of `names` that Mongoose did not install; an unreadable table counts as "yes". */
function hasAppHooks(table: HookTable | undefined, names: readonly string[]): boolean {
  if (!isReadable(table)) return true;
  for (const name of names) if (hasAppHook(table, name)) return true;
  return false;
}

function isReadable(table: HookTable | undefined): table is Required<HookTable> {
  return table?._pres instanceof Map && table._posts instanceof Map;
}

function hasAppHook(table: Required<HookTable>, name: string): boolean {
  return hasOwnHook(table._pres.get(name)) || hasOwnHook(table._posts.get(name));
}

function hasOwnHook(list: Hook[] | undefined): boolean {
  if (list === undefined) return false;
  for (const hook of list) if (!isBuiltIn(hook)) return true;
  return false;
}

/**
 * True when `model`'s schema has middleware of the app (document or query hooks) for any of `hooks` —
 * or when it cannot be read (a Mongoose whose internals moved): then the answer is "yes", which only
 * ever sends a request down the path that runs every hook.
 */
export function hasAppMiddleware(model: AnyModel, hooks: readonly string[]): boolean {
  return hasAppHooks((model.schema as unknown as { s?: { hooks?: HookTable } }).s?.hooks, hooks);
}

/**
 * True when the query middleware Mongoose runs for `model`'s queries (its own, a plugin's, a global
 * plugin's, as compiled into the model's Query) has a hook of the app for `op`; unreadable → "yes".
 */
export function hasQueryMiddleware(model: AnyModel, op: string): boolean {
  const table = (model as unknown as { Query?: { prototype?: { _queryMiddleware?: HookTable } } }).Query?.prototype?._queryMiddleware;
  // Asked on every direct read: one name, no list to build.
  return !isReadable(table) || hasAppHook(table, op);
}
