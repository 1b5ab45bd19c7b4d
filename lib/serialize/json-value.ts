/**
 * A stored value as JSON will show it, made once while the document is output: a `Date` becomes its ISO
 * 8601 string and an `ObjectId` its hex string — exactly what their `toJSON` gives when the body is
 * stringified. Why: `JSON.stringify` calls `toJSON` through a slow path, and V8's `toISOString` formats in
 * C++ with `snprintf`; a page of 20 documents with one date each spent ~50 µs there (docs/performance.md,
 * "Dates and ids in the output"). Other values are returned as they are; arrays and sub-documents keep
 * their elements (their dates are left to `toJSON`).
 */

/** `Date.prototype.toJSON` as the engine defines it, or `undefined` when an app had replaced it before this module loaded. */
const builtinDateToJSON = isBuiltin(Date.prototype.toJSON) ? Date.prototype.toJSON : undefined;

function isBuiltin(fn: unknown): boolean {
  return typeof fn === 'function' && Function.prototype.toString.call(fn).includes('[native code]');
}

/** `value` as JSON shows it when it is a date or an ObjectId; anything else as it is. */
export function jsonValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) {
    // A subclass, or an app's own Date.prototype.toJSON (local times, say), keeps its own output.
    return Object.getPrototypeOf(value) === Date.prototype && value.toJSON === builtinDateToJSON ? isoString(value) : value;
  }
  // The driver's ObjectId (any copy of bson): its toJSON is its hex string; called here, not by JSON.stringify.
  if ((value as { _bsontype?: unknown })._bsontype === 'ObjectId' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

const DAY_MS = 86_400_000;
const twoDigits = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const threeDigits = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** The last calendar day formatted (documents of one page tend to share days). */
let lastDay = Number.NaN;
let lastDayText = '';

/**
 * `date.toJSON()` for a plain Date: `null` when invalid, else `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC). Years
 * outside 1000–9999 are left to the engine (its extended `±YYYYYY` form). Checked against
 * `toISOString` in test/json-value.test.ts.
 */
export function isoString(date: Date): string | null {
  const time = date.getTime();
  if (Number.isNaN(time)) return null;
  const day = Math.floor(time / DAY_MS);
  if (day !== lastDay) {
    const text = calendarDay(day);
    if (text === undefined) return date.toISOString();
    lastDay = day;
    lastDayText = text;
  }
  let rest = time - day * DAY_MS;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${lastDayText}T${twoDigits[hours]!}:${twoDigits[minutes]!}:${twoDigits[seconds]!}.${threeDigits[ms]!}Z`;
}

/** `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil_from_days), or `undefined` outside years 1000–9999. */
function calendarDay(day: number): string | undefined {
  const shifted = day + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1000 || year > 9999) return undefined;
  return `${year}-${twoDigits[month]!}-${twoDigits[dayOfMonth]!}`;
}
