/**
 * RFC 6902 JSON Patch on a document's writable fields: the six operations, RFC 6901 pointers (`~0`,
 * `~1`, `-` to append). Every operation is checked before any is applied (a malformed one → 400
 * naming its index), then they are applied in order to a copy: the result is all or nothing.
 * Pointers may not name `__proto__`, `constructor`, `prototype` or `$`-prefixed keys (the same keys
 * request bodies may not hold), and must start with a field the caller allows.
 */
import { isPlainObject } from '../guards.js';
import { MAX_BODY_DEPTH } from '../write/body.js';
import { jsonClone, jsonEqual } from './json-value.js';

export type JsonPatchOp = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
const opNames: ReadonlySet<string> = new Set<JsonPatchOp>(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const forbiddenTokens: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const arrayIndex = /^(0|[1-9][0-9]*)$/;

/** Why a patch was not applied: `malformed` (400), `conflict` (409: the document lacks a path) or `test` (409). */
export class JsonPatchError extends Error {
  constructor(
    readonly kind: 'malformed' | 'conflict' | 'test',
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonPatchError';
  }
}

/** One checked operation: pointers already split into tokens. */
interface Operation {
  op: JsonPatchOp;
  path: string;
  tokens: string[];
  from?: string[];
  fromText?: string;
  value?: unknown;
}

export interface JsonPatchOptions {
  /** Whether a document's top-level key may be read or written by the patch (the writable API fields). */
  isField(key: string): boolean;
}

/**
 * The document with `patch` applied; `document` itself is not modified.
 *
 * @example
 * ```ts
 * applyJsonPatch({ title: 'a', tags: ['x'] }, [{ op: 'add', path: '/tags/-', value: 'y' }], { isField: () => true });
 * // { title: 'a', tags: ['x', 'y'] }
 * ```
 */
export function applyJsonPatch(document: Record<string, unknown>, patch: unknown, options: JsonPatchOptions): Record<string, unknown> {
  if (!Array.isArray(patch)) throw new JsonPatchError('malformed', -1, 'A JSON Patch document must be an array of operations.');
  const operations = patch.map((raw: unknown, index) => checkOperation(raw, index, options));
  let result = jsonClone(document);
  operations.forEach((operation, index) => {
    result = applyOne(result, operation, index);
  });
  return result;
}

function malformed(index: number, reason: string): JsonPatchError {
  return new JsonPatchError('malformed', index, `JSON Patch operation ${index} is invalid: ${reason}.`);
}

function checkOperation(raw: unknown, index: number, options: JsonPatchOptions): Operation {
  if (!isPlainObject(raw)) throw malformed(index, 'an operation must be an object');
  const { op } = raw;
  if (typeof op !== 'string' || !opNames.has(op)) throw malformed(index, `"op" must be one of ${[...opNames].join(', ')}`);
  const operation: Operation = { op: op as JsonPatchOp, path: '', tokens: [] };
  const path = checkPointer(raw.path, 'path', index, options);
  operation.path = path.text;
  operation.tokens = path.tokens;
  if (op === 'add' || op === 'replace' || op === 'test') {
    if (!Object.hasOwn(raw, 'value')) throw malformed(index, `"${op}" needs a "value"`);
    operation.value = raw.value;
  }
  if (op === 'move' || op === 'copy') {
    const from = checkPointer(raw.from, 'from', index, options);
    operation.from = from.tokens;
    operation.fromText = from.text;
    if (op === 'move' && from.tokens.length < path.tokens.length && from.tokens.every((token, at) => token === path.tokens[at])) {
      throw malformed(index, '"from" may not be a parent of "path" in a move');
    }
  }
  return operation;
}

/** Splits an RFC 6901 pointer; only pointers into the allowed fields pass. */
function checkPointer(raw: unknown, member: 'path' | 'from', index: number, options: JsonPatchOptions): { text: string; tokens: string[] } {
  if (typeof raw !== 'string') throw malformed(index, `"${member}" must be a JSON Pointer string`);
  if (raw === '') throw malformed(index, `"${member}" may not be the whole document ("")`);
  if (!raw.startsWith('/')) throw malformed(index, `"${member}" must start with "/" (got ${describe(raw)})`);
  if (/~[^01]|~$/.test(raw)) throw malformed(index, `"${member}" has an invalid escape ("~" must be followed by 0 or 1)`);
  const tokens = raw
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (tokens.length > MAX_BODY_DEPTH) throw malformed(index, `"${member}" is nested deeper than ${MAX_BODY_DEPTH} levels`);
  for (const token of tokens) {
    if (forbiddenTokens.has(token) || token.startsWith('$')) throw malformed(index, `"${member}" names a forbidden key ${describe(token)}`);
  }
  if (!options.isField(tokens[0]!)) {
    throw new JsonPatchError('malformed', index, `JSON Patch operation ${index}: ${describe(raw)} is not a writable field.`);
  }
  return { text: raw, tokens };
}

function conflict(index: number, path: string, reason: string): JsonPatchError {
  return new JsonPatchError('conflict', index, `JSON Patch operation ${index} cannot be applied: ${describe(path)} ${reason}.`);
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return Array.isArray(value) || isPlainObject(value);
}

/** The value at `tokens`, or `missing` when there is none. */
const missing = Symbol('missing');
function valueAt(document: unknown, tokens: readonly string[]): unknown {
  let current: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!arrayIndex.test(token) || Number(token) >= current.length) return missing;
      current = current[Number(token)];
    } else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, token)) return missing;
      current = current[token];
    } else {
      return missing;
    }
  }
  return current;
}

function applyOne(document: Record<string, unknown>, operation: Operation, index: number): Record<string, unknown> {
  const { op, path, tokens } = operation;
  switch (op) {
    case 'add':
      add(document, tokens, jsonClone(operation.value), index, path);
      return document;
    case 'remove':
      remove(document, tokens, index, path);
      return document;
    case 'replace':
      if (valueAt(document, tokens) === missing) throw conflict(index, path, 'does not exist');
      remove(document, tokens, index, path);
      add(document, tokens, jsonClone(operation.value), index, path);
      return document;
    case 'move': {
      const value = valueAt(document, operation.from!);
      if (value === missing) throw conflict(index, operation.fromText!, 'does not exist');
      remove(document, operation.from!, index, operation.fromText!);
      add(document, tokens, value, index, path);
      return document;
    }
    case 'copy': {
      const value = valueAt(document, operation.from!);
      if (value === missing) throw conflict(index, operation.fromText!, 'does not exist');
      add(document, tokens, jsonClone(value), index, path);
      return document;
    }
    case 'test': {
      const value = valueAt(document, tokens);
      if (value === missing || !jsonEqual(value, operation.value)) {
        throw new JsonPatchError('test', index, `JSON Patch operation ${index} failed: ${describe(path)} does not have the value tested.`);
      }
      return document;
    }
  }
}

function parentOf(document: Record<string, unknown>, tokens: readonly string[], index: number, path: string): Container {
  const parent = valueAt(document, tokens.slice(0, -1));
  if (parent === missing || !isContainer(parent)) throw conflict(index, path, 'has no parent to hold it');
  return parent;
}

function add(document: Record<string, unknown>, tokens: readonly string[], value: unknown, index: number, path: string): void {
  const parent = parentOf(document, tokens, index, path);
  const token = tokens.at(-1)!;
  if (Array.isArray(parent)) {
    if (token === '-') {
      parent.push(value);
      return;
    }
    if (!arrayIndex.test(token) || Number(token) > parent.length) throw conflict(index, path, 'is not an index of the array');
    parent.splice(Number(token), 0, value);
    return;
  }
  parent[token] = value;
}

function remove(document: Record<string, unknown>, tokens: readonly string[], index: number, path: string): void {
  const parent = parentOf(document, tokens, index, path);
  const token = tokens.at(-1)!;
  if (Array.isArray(parent)) {
    if (!arrayIndex.test(token) || Number(token) >= parent.length) throw conflict(index, path, 'does not exist');
    parent.splice(Number(token), 1);
    return;
  }
  if (!Object.hasOwn(parent, token)) throw conflict(index, path, 'does not exist');
  delete parent[token];
}

function describe(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}
