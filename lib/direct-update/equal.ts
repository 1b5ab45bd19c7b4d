/**
 * Whether a value read lean from the database equals the cast value a PUT writes, as Mongoose's change
 * tracking decides it for the types a direct update writes (strings, numbers, booleans, dates, ObjectIds,
 * null, and arrays of them): `save()` writes a path only when this is false.
 */
export function sameStoredValue(stored: unknown, written: unknown): boolean {
  if (Array.isArray(written)) {
    return Array.isArray(stored) && stored.length === written.length && written.every((item, index) => sameStoredValue(stored[index], item));
  }
  if (written === null || typeof written !== 'object') return stored === written;
  if (written instanceof Date) return stored instanceof Date && stored.getTime() === written.getTime();
  // ObjectIds (of any BSON copy): equal by their 12 bytes.
  const id = written as { _bsontype?: unknown; toHexString?: () => string };
  if (id._bsontype === 'ObjectId' && typeof id.toHexString === 'function') {
    const other = stored as { _bsontype?: unknown; toHexString?: () => string } | null;
    return other !== null && typeof other === 'object' && other._bsontype === 'ObjectId' && other.toHexString?.() === id.toHexString();
  }
  return false;
}
