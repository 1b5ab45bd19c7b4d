/**
 * What a Number path accepts from a body: a JSON number or a plain decimal string (`"12"`, `"-1.5"`).
 * Mongoose's own cast is looser — `"0x10"` → 16, `" 1 "` → 1, `""` → null, `true` → 1, `"1e3"` → 1000 —
 * so a client's typo would be stored as some other number. Values are checked against the schema before
 * Mongoose sees them: top-level, nested objects, sub-documents and arrays (of numbers or sub-documents).
 */
import type { Schema } from 'mongoose';
import { isPlainObject } from '../guards.js';
import type { PlainDocument } from '../types.js';
import { NON_FINITE_MESSAGE } from './finite.js';
import { numberTextProblem } from './json-numbers.js';

/** Optional minus, digits, optionally a point and more digits: no `+`, spaces, exponent, hex or `.5`. */
const plainDecimal = /^-?[0-9]+(?:\.[0-9]+)?$/;
const numberTypes = new Set(['Number', 'Double', 'Int32']);
const MAX_DEPTH = 32;
const MAX_VALUE_CHARS = 100;

interface SchemaTypeLike {
  instance?: string;
  schema?: Schema;
  $isMongooseDocumentArray?: boolean;
  embeddedSchemaType?: SchemaTypeLike;
  caster?: SchemaTypeLike;
}

/** The message for a value a Number path does not take, worded like Mongoose's cast errors. */
function refused(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  // Cut like Mongoose's messages are (http/field-errors.ts): the opening quote counts, the closing one stays.
  const shown = text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…${typeof value === 'string' ? '"' : ''}` : text;
  const kind = Array.isArray(value) ? 'Array' : typeof value === 'object' ? 'Object' : typeof value;
  return `Cast to Number failed for value ${shown} (type ${kind})`;
}

function numberProblem(value: unknown): string | undefined {
  if (value === null || value === undefined || typeof value === 'number') return undefined; // precision: json-numbers.ts
  if (typeof value === 'string' && plainDecimal.test(value)) return numberTextProblem(value);
  // "Infinity", "-Infinity", "1e999": the finite-number rule's message, as before (write/finite.ts).
  if (typeof value === 'string' && Math.abs(Number(value)) === Infinity) return NON_FINITE_MESSAGE;
  return refused(value);
}

function checkValue(type: SchemaTypeLike, value: unknown, where: string, found: Record<string, string>, depth: number): void {
  if (value === null || value === undefined || depth > MAX_DEPTH) return;
  if (type.instance !== undefined && numberTypes.has(type.instance)) {
    const problem = numberProblem(value);
    if (problem !== undefined) found[where] = problem;
    return;
  }
  if (type.instance === 'Embedded' && type.schema && isPlainObject(value)) {
    walk(type.schema, value, '', `${where}.`, found, depth + 1);
    return;
  }
  if (type.instance === 'Array' && Array.isArray(value)) {
    const element = type.embeddedSchemaType ?? type.caster;
    value.forEach((item: unknown, index) => {
      if (type.$isMongooseDocumentArray && type.schema) {
        if (isPlainObject(item)) walk(type.schema, item, '', `${where}.${index}.`, found, depth + 1);
      } else if (element) {
        checkValue(element, item, `${where}.${index}`, found, depth + 1);
      }
    });
  }
}

function walk(schema: Schema, data: PlainDocument, schemaPrefix: string, errorPrefix: string, found: Record<string, string>, depth: number): void {
  for (const [key, value] of Object.entries(data)) {
    const path = `${schemaPrefix}${key}`;
    const type = schema.path(path) as unknown as SchemaTypeLike | undefined;
    if (type) checkValue(type, value, `${errorPrefix}${key}`, found, depth);
    else if (schema.pathType(path) === 'nested' && isPlainObject(value)) walk(schema, value, `${path}.`, `${errorPrefix}${key}.`, found, depth + 1);
  }
}

/**
 * `{ "<internal path>": "<message>" }` for each value of `data` (internal names) that a Number path of
 * `schema` does not take as it is; empty when all are fine.
 */
export function numberValueProblems(schema: Schema, data: PlainDocument): Record<string, string> {
  const found: Record<string, string> = {};
  walk(schema, data, '', '', found, 0);
  return found;
}
