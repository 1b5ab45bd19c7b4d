/**
 * A filter's raw query-string value(s) → the value its operator's `prepareQuery` receives: the first
 * value of a repeated key (list operators: every value, split on commas), held to the operator's
 * `maxLength`, parsed by the operator (by default: cast by the schema type of the path). Anything that
 * does not parse is a 400 naming the filter.
 */
import type { Schema } from 'mongoose';
import { BadRequest } from '../errors.js';
import { castText, comparedType, InvalidValue, isArrayPath } from './cast.js';
import { quote, type FilterKey } from './filter-keys.js';
import type { ValueContext } from './operators.js';

/**
 * Splits a list value on commas. `\,` is a literal comma and `\\` a literal backslash; any other
 * backslash is kept as it is. Empty items are dropped, so an empty value is the empty list.
 */
export function splitListValue(text: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    const next = text[index + 1];
    if (char === '\\' && (next === ',' || next === '\\')) {
      current += next;
      index += 1;
    } else if (char === ',') {
      if (current !== '') items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') items.push(current);
  return items;
}

/** The texts a key contributes: the first value, or for list operators every value of a repeated key. */
function rawTexts(raw: string | readonly string[] | undefined, takesList: boolean): string[] {
  if (raw === undefined) return [''];
  if (typeof raw === 'string') return [raw];
  return takesList ? [...raw] : raw.slice(0, 1);
}

/** Parses the value of one filter key (see the module comment). */
export function parseFilterValue(key: string, raw: string | readonly string[] | undefined, selected: FilterKey, schema: Schema): unknown {
  const { operator, field } = selected;
  const texts = rawTexts(raw, operator.takesList);
  const length = texts.reduce((sum, text) => sum + text.length, 0);
  if (length > operator.maxLength) {
    throw new BadRequest(`Invalid value for filter ${quote(key)}: longer than ${operator.maxLength} characters.`);
  }
  const type = comparedType(schema, field.path);
  const context: ValueContext = {
    path: field.path,
    isArray: isArrayPath(schema, field.path),
    cast: (text) => castText(type, text),
    invalid: (expected) => {
      throw new InvalidValue(expected);
    },
  };
  let current = '';
  const parse = (text: string): unknown => {
    current = text;
    return operator.parseValue(text, context);
  };
  try {
    return operator.takesList ? texts.flatMap(splitListValue).map(parse) : parse(texts[0] ?? '');
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    throw new BadRequest(`Invalid value for filter ${quote(key)}: expected ${error.expected} (got ${quote(current)}).`);
  }
}
