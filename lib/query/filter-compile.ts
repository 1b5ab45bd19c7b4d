/**
 * A resource's declared filters, checked and compiled into the table `buildFilter` matches keys
 * against. Configuration mistakes are `TypeError`s, thrown at registration (`MongoRest.register`).
 */
import { comparedType, isArrayPath, isKnownPath } from './cast.js';
import { negation, spellingOf, type FilterField } from './filter-keys.js';
import type { FilterTarget } from './filters.js';
import { Operator } from './operators.js';

/** Declared filters, compiled: fields sorted longest spelling first (the longest match wins). */
export interface CompiledFilters {
  readonly fields: readonly FilterField[];
}

function isOperatorClass(spec: unknown): spec is new () => Operator {
  return typeof spec === 'function' && spec.prototype instanceof Operator;
}

function instantiate(spec: unknown, where: string): Operator {
  if (spec instanceof Operator) return spec;
  if (isOperatorClass(spec)) return new spec();
  throw new TypeError(`${where}: ${String(spec)} is neither an Operator subclass nor an instance of one.`);
}

/** `id` is the API name of `_id` unless the schema has a real `id` path. */
function internalPath(target: FilterTarget, name: string): string {
  const path = target.toInternalPath(name);
  return path === 'id' && !isKnownPath(target.schema, 'id') ? '_id' : path;
}

function compileField(target: FilterTarget, name: string, specs: unknown, owner: string): FilterField {
  const where = `${owner}filters[${JSON.stringify(name)}]`;
  if (name === '') throw new TypeError(`${owner}filters: a filter name must not be empty.`);
  if (!Array.isArray(specs)) throw new TypeError(`${where} must be a list of operators.`);
  const path = internalPath(target, name);
  const { schema } = target;
  const filterPath = { name, path, type: comparedType(schema, path), isArray: isArrayPath(schema, path), known: isKnownPath(schema, path) };
  const operators = new Map<string, Operator>();
  for (const spec of specs) {
    const operator = instantiate(spec, where);
    if (!Number.isSafeInteger(operator.maxLength) || operator.maxLength < 0) {
      throw new TypeError(`${where}: maxLength of ${operator.constructor.name} must be a non-negative integer.`);
    }
    try {
      operator.checkPath(filterPath);
    } catch (error) {
      throw error instanceof TypeError ? new TypeError(`${where}: ${error.message}`) : error;
    }
    for (const suffix of operator.suffixes) {
      if (typeof suffix !== 'string' || suffix === negation || suffix.includes('__')) {
        throw new TypeError(`${where}: ${operator.constructor.name} has an unusable suffix ${JSON.stringify(suffix)}.`);
      }
      const clash = operators.get(suffix);
      if (clash) {
        throw new TypeError(
          `${where}: ${clash.constructor.name} and ${operator.constructor.name} both answer to the suffix ${JSON.stringify(suffix)}.`,
        );
      }
      operators.set(suffix, operator);
    }
  }
  return { name, spelling: spellingOf(name), path, operators };
}

/**
 * Checks and compiles a resource's declared filters. Throws a `TypeError` on configuration mistakes
 * (not an operator, two operators with one suffix, a text operator on a number, …): `MongoRest.register`
 * calls it so they surface at startup. `resourceName` prefixes the messages.
 */
export function compileFilters(target: FilterTarget, resourceName?: string): CompiledFilters {
  const owner = resourceName ? `${resourceName}.` : '';
  const declared: unknown = target.filters ?? {};
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
    throw new TypeError(`${owner}filters must be an object: { apiField: [operators] }.`);
  }
  const fields = Object.entries(declared).map(([name, specs]) => compileField(target, name, specs, owner));
  fields.sort((a, b) => b.spelling.length - a.spelling.length);
  return { fields };
}
