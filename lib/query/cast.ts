/**
 * Filter values arrive as strings; this module turns one string into the value MongoDB compares with,
 * by the Mongoose schema type of the filtered path (array paths: their element type). Casts are strict
 * on purpose (`12abc` is not a number, `yes` is not a boolean) and only ever produce scalars — never an
 * object that could carry a query operator. Pure functions: no database, no Koa.
 */
import type { Schema, SchemaType } from 'mongoose';

/** A value that does not parse; `expected` says what would have (e.g. `"a number"`). */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
    this.name = 'InvalidValue';
  }
}

/**
 * The schema type at `path`, looked up in the schema and then in its discriminators' schemas (a
 * polymorphic collection may filter a path only some document types have).
 */
export function schemaTypeAt(schema: Schema, path: string): SchemaType | undefined {
  const own = schema.path(path);
  if (own) return own;
  const children: unknown = (schema as { discriminators?: unknown }).discriminators;
  if (typeof children !== 'object' || children === null) return undefined;
  for (const child of Object.values(children as Record<string, Schema>)) {
    const type = child.path(path);
    if (type) return type;
  }
  return undefined;
}

/** Whether the schema (or a discriminator's) knows `path`: a schema type, a Mixed sub-path, a nested object. */
export function isKnownPath(schema: Schema, path: string): boolean {
  return schemaTypeAt(schema, path) !== undefined || schema.pathType(path) === 'nested';
}

/**
 * The schema type values of `path` are compared with: the path's own type, or for arrays (of arrays…)
 * the element type, since MongoDB matches a scalar against each element. `undefined` when the schema does
 * not know the path (paths a custom operator invents): such values stay strings.
 */
export function comparedType(schema: Schema, path: string): SchemaType | undefined {
  let type: SchemaType | undefined = schemaTypeAt(schema, path);
  while (type && type.instance === 'Array') {
    // Mongoose 9 names the element type `embeddedSchemaType`, Mongoose 8 `$embeddedSchemaType`.
    const array = type as { embeddedSchemaType?: SchemaType; $embeddedSchemaType?: SchemaType };
    type = array.embeddedSchemaType ?? array.$embeddedSchemaType;
  }
  return type;
}

/** Whether the schema stores `path` as an array (so Exact means "contains" and Size applies). */
export function isArrayPath(schema: Schema, path: string): boolean {
  return schemaTypeAt(schema, path)?.instance === 'Array';
}

/** `true`/`false`/`1`/`0`, nothing else. */
export function parseBoolean(text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new InvalidValue('true, false, 1 or 0');
}

const decimalInteger = /^[0-9]+$/;

/** A non-negative decimal integer (`3`; not `+3`, `3.0`, `0x3`, `1e3`). */
export function parseCount(text: string): number {
  const value = decimalInteger.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new InvalidValue('a non-negative integer');
  return value;
}

const decimalNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number (`-1.5`, `2e3`; not `0x10`, `Infinity`, `` or ` 1`). */
export function parseNumber(text: string): number {
  const value = decimalNumber.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new InvalidValue('a number');
  return value;
}

function parseInt32(text: string): number {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new InvalidValue('a 32-bit integer');
  return value;
}

function parseBigInt(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new InvalidValue('an integer');
  return BigInt(text);
}

const isoDate =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Zone designator → minutes east of UTC (`Z` → 0, `+02:00`/`+0200`/`+02` → 120); no designator → UTC. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/**
 * An ISO 8601 calendar date, optionally with a time and a zone: `2024-01-31`, `2024-01-31T10:00`,
 * `2024-01-31T10:00:00.123Z`, `2024-01-31T12:00:00+02:00`. Without a zone the time is UTC (a server's
 * local zone must not change what a URL means). Out-of-range parts (`2023-02-29`, `24:00`) are invalid.
 */
export function parseDate(text: string): Date {
  const match = isoDate.exec(text);
  const invalid = new InvalidValue('an ISO 8601 date (YYYY-MM-DD, optionally THH:MM[:SS[.sss]] and Z or ±HH:MM)');
  if (!match) throw invalid;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const offset = zoneOffsetMinutes(zone);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offset === undefined) {
    throw invalid;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  return new Date(date.getTime() - offset * 60_000);
}

const objectIdHex = /^[0-9a-fA-F]{24}$/;

/**
 * A 24-digit hexadecimal ObjectId (references are filtered by the referenced document's id), made by the
 * path's own schema type: an ObjectId of the app's Mongoose and BSON, whichever copy that is.
 */
function parseObjectId(type: SchemaType, text: string): unknown {
  if (!objectIdHex.test(text)) throw new InvalidValue('an ObjectId (24 hexadecimal digits)');
  return delegate(type, text);
}

/** BSON value classes that are data (`_bsontype`: the BSON library's own tag, the same in every copy). */
const bsonScalars = new Set(['ObjectId', 'ObjectID', 'Decimal128', 'Binary', 'UUID', 'Long', 'Double', 'Int32']);

/** Values a delegated Mongoose cast may produce: data, never a (query-operator-carrying) plain object. */
function isScalar(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'bigint') return true;
  if (value instanceof Date || Buffer.isBuffer(value)) return true;
  // By tag, not instanceof: the app's BSON classes need not be the ones this module would import.
  return bsonScalars.has((value as { _bsontype?: unknown })._bsontype as string);
}

const describe: Readonly<Record<string, string>> = {
  Decimal128: 'a decimal number',
  UUID: 'a UUID',
  Buffer: 'binary data',
  ObjectId: 'an ObjectId (24 hexadecimal digits)',
};

/** Other schema types (Decimal128, UUID, Buffer, custom types): Mongoose's own cast, held to scalars. */
function delegate(type: SchemaType, text: string): unknown {
  const expected = describe[type.instance] ?? `a value of type ${type.instance}`;
  let value: unknown;
  try {
    value = (type as unknown as { cast(value: unknown): unknown }).cast(text);
  } catch {
    throw new InvalidValue(expected);
  }
  if (!isScalar(value)) throw new InvalidValue(expected);
  return value;
}

/**
 * Casts `text` for a comparison with values of schema type `type` (see `comparedType`). Throws
 * `InvalidValue` when it does not cast. Unknown paths, String and Mixed keep the text as it is.
 */
export function castText(type: SchemaType | undefined, text: string): unknown {
  if (!type) return text;
  switch (type.instance) {
    case 'String':
    case 'Mixed':
      return text;
    case 'Number':
    case 'Double':
      return parseNumber(text);
    case 'Int32':
      return parseInt32(text);
    case 'BigInt':
      return parseBigInt(text);
    case 'Date':
      return parseDate(text);
    case 'Boolean':
      return parseBoolean(text);
    case 'ObjectId':
      return parseObjectId(type, text);
    default:
      return delegate(type, text);
  }
}
