/**
 * One attempt at a keyed write, as the write handlers see it: the `_id` a create must use, and the
 * version check an update or delete makes before it writes. This is what makes a second application of
 * the same request detectable without transactions (docs/http.md, "Idempotency keys").
 */
import { createHash } from 'node:crypto';
import mongoose from 'mongoose';
import { Conflict } from '../errors.js';
import type { AnyDocument, AnyModel } from '../types.js';
import { expectVersion, versionOf } from '../versioning/version.js';
import { canonicalJson } from '../write/canonical.js';
import type { IdempotencyRecord, IdempotencyStore, RecordedVersion } from './store.js';

/** What the write handlers ask of the attempt they run in (absent without an `Idempotency-Key`). */
export interface WriteAttempt {
  /** A create: the `_id` the new document gets (recorded before anything is written), if one could be made. */
  readonly documentId: unknown;
  /** This attempt took over from an earlier one whose outcome is unknown: its write may have landed. */
  readonly takeover: boolean;
  /** An earlier attempt had reached the stored document (so, for a delete, "gone" means it deleted it). */
  readonly reachedDocument: boolean;
  /**
   * Before an update: records the stored version (first attempt) and makes the save conditional on it.
   * On a takeover, `'landed'` when the document moved on from the recorded version: the earlier attempt
   * applied the change, and the answer is the document as it is.
   */
  beforeUpdate(doc: AnyDocument): Promise<'apply' | 'landed'>;
  /** Before a delete: records that the attempt reached the document. */
  beforeDelete(doc: AnyDocument): Promise<void>;
}

/** The attempt lost its record to a takeover before writing: it must not write (the other attempt does). */
const leaseLost = () => new Conflict({ error: 'A retry of this request took over; it is answered there.' });

/**
 * The version key's value (lib/versioning/version.ts: every write through the library moves it), or, for
 * schemas without a version key, a digest of the stored document (detects a change; cannot condition a save).
 */
function recordedVersionOf(doc: AnyDocument): RecordedVersion {
  const value = versionOf(doc.constructor as AnyModel, doc);
  if (value !== undefined) return { value };
  const stored = mongoose.mongo.BSON.EJSON.serialize(doc.toObject({ depopulate: true, virtuals: false, getters: false, transform: false }), { relaxed: false });
  return { hash: createHash('sha256').update(canonicalJson(stored)).digest('hex') };
}

function sameVersion(a: RecordedVersion, b: RecordedVersion): boolean {
  return 'hash' in a ? 'hash' in b && a.hash === b.hash : 'value' in b && a.value === b.value;
}

export class RecordedAttempt implements WriteAttempt {
  constructor(
    private readonly store: IdempotencyStore,
    readonly record: IdempotencyRecord,
    readonly takeover: boolean,
  ) {}

  get documentId(): unknown {
    return this.record.documentId;
  }

  get reachedDocument(): boolean {
    return this.takeover && this.record.version !== undefined;
  }

  async beforeUpdate(doc: AnyDocument): Promise<'apply' | 'landed'> {
    const current = recordedVersionOf(doc);
    const recorded = this.takeover ? this.record.version : undefined;
    if (recorded !== undefined) {
      if (!sameVersion(recorded, current)) return 'landed';
    } else if (!(await this.store.recordVersion(this.record, current))) {
      throw leaseLost();
    }
    const version = recorded ?? current;
    // The save filters on the version (a stale save fails), and the library's save moves it on.
    if ('value' in version) expectVersion(doc, version.value);
    return 'apply';
  }

  async beforeDelete(doc: AnyDocument): Promise<void> {
    // A delete needs no version condition: a deleted document cannot come back, so deleting twice is harmless.
    if (this.record.version === undefined && !(await this.store.recordVersion(this.record, recordedVersionOf(doc)))) {
      throw leaseLost();
    }
  }
}
