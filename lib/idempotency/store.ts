/**
 * The idempotency records: one document per key, view and principal in the collection
 * `mongorest_idempotency`, on the connection of the view's model. The record is written before the
 * request's own write (the insert is the lock: its `_id` is unique), then holds a lease for the attempt
 * working on it, what makes that attempt's write detectable (the new document's `_id`, or the stored
 * version it changes), and finally the answer to replay.
 *
 * Every state change is a single-document update conditional on the attempt's `owner` token, so an
 * attempt whose lease was taken over can no longer touch the record.
 */
import { randomUUID } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { ServiceUnavailable } from '../errors.js';
import { withDeadline } from '../http/database.js';
import { isDuplicateKeyError } from '../write/duplicates.js';

export const IDEMPOTENCY_COLLECTION = 'mongorest_idempotency';

/** The stored version an update or delete applies to: the version key's value, or a digest of the document. */
export type RecordedVersion = { value: number | null } | { hash: string };

/** What a replay answers with. */
export interface StoredResponse {
  status: number;
  /** Only the headers that matter to a client: `Location`, `ETag`. */
  headers: Record<string, string>;
  /** The JSON body as text (`null`: no body); text because response keys need not be valid BSON keys. */
  body: string | null;
}

export interface IdempotencyRecord {
  /** Digest of view, principal and key. */
  _id: string;
  key: string;
  view: string;
  principal: string;
  fingerprint: string;
  state: 'pending' | 'done';
  /** Token of the attempt holding the lease. */
  owner: string;
  leaseUntil: Date;
  /** A create: the `_id` the new document gets. */
  documentId?: unknown;
  /** An update or delete: the stored version the change applies to, recorded before it is written. */
  version?: RecordedVersion;
  response?: StoredResponse;
  createdAt: Date;
  /** Past this the record counts as absent (and a TTL index removes it where the server has them). */
  expiresAt: Date;
}

/** What a new request with a key finds. */
export type Claim =
  | { kind: 'fresh'; record: IdempotencyRecord }
  | { kind: 'takeover'; record: IdempotencyRecord }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-flight' }
  | { kind: 'other-request' };

export interface NewRecord {
  id: string;
  key: string;
  view: string;
  principal: string;
  fingerprint: string;
  documentId?: unknown;
  leaseMS: number;
  ttlMS: number;
}

/** How often, at most, expired records are swept where the server has no TTL index. */
const SWEEP_INTERVAL_MS = 60_000;

export class IdempotencyStore {
  /** `false` once the server refused the TTL index (FerretDB v1); expired records are then swept on use. */
  private ttlIndex: Promise<boolean> | undefined;
  private lastSweep = 0;

  constructor(
    private readonly connection: Connection,
    private readonly timeoutMS: number,
  ) {}

  /** Inserts the record for a new key, or reports what the existing one says. */
  async claim(request: NewRecord): Promise<Claim> {
    this.ensureTtlIndex();
    // A few rounds: between our insert and our read the record may expire, complete or be taken over.
    for (let round = 0; round < 5; round++) {
      const now = new Date();
      const record: IdempotencyRecord = {
        _id: request.id,
        key: request.key,
        view: request.view,
        principal: request.principal,
        fingerprint: request.fingerprint,
        state: 'pending',
        owner: randomUUID(),
        leaseUntil: new Date(now.getTime() + request.leaseMS),
        ...(request.documentId === undefined ? {} : { documentId: request.documentId }),
        createdAt: now,
        expiresAt: new Date(now.getTime() + request.leaseMS + request.ttlMS),
      };
      try {
        await this.run((records) => records.insertOne(record as never));
        return { kind: 'fresh', record };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = (await this.run((records) => records.findOne({ _id: request.id as never }))) as IdempotencyRecord | null;
      if (!existing) continue;
      if (existing.expiresAt.getTime() <= now.getTime()) {
        // Expired: absent. (Needed where there is no TTL index, and for the minute MongoDB's TTL monitor may lag.)
        await this.run((records) => records.deleteOne({ _id: existing._id as never, expiresAt: existing.expiresAt }));
        continue;
      }
      if (existing.fingerprint !== request.fingerprint) return { kind: 'other-request' };
      if (existing.state === 'done' && existing.response) return { kind: 'replay', response: existing.response };
      if (existing.leaseUntil.getTime() > now.getTime()) return { kind: 'in-flight' };
      // The lease ran out: take the record over, atomically, only if nobody else did first.
      const owner = randomUUID();
      const leaseUntil = new Date(now.getTime() + request.leaseMS);
      const taken = (await this.run((records) =>
        records.findOneAndUpdate(
          { _id: existing._id as never, state: 'pending', owner: existing.owner, leaseUntil: existing.leaseUntil },
          { $set: { owner, leaseUntil } },
          { returnDocument: 'after' },
        ),
      )) as IdempotencyRecord | null;
      if (taken) return { kind: 'takeover', record: taken };
    }
    return { kind: 'in-flight' };
  }

  /** Records the version an update or delete applies to (before it writes). False if the lease was lost. */
  async recordVersion(record: IdempotencyRecord, version: RecordedVersion): Promise<boolean> {
    const result = await this.run((records) =>
      records.updateOne({ _id: record._id as never, owner: record.owner, state: 'pending' }, { $set: { version } }),
    );
    return result.matchedCount === 1;
  }

  /** Stores the answer to replay; the record then lives `ttlMS`. */
  async complete(record: IdempotencyRecord, response: StoredResponse, ttlMS: number): Promise<void> {
    const expiresAt = new Date(Date.now() + ttlMS);
    await this.run((records) =>
      records.updateOne(
        { _id: record._id as never, owner: record.owner, state: 'pending' },
        { $set: { state: 'done', response, expiresAt }, $unset: { leaseUntil: '' } },
      ),
    );
    this.sweepIfNeeded();
  }

  /**
   * Ends the lease now: the attempt has answered without a result to replay (the outcome is unknown or it
   * failed), so a retry may take over at once. What makes the write detectable stays recorded.
   */
  async endLease(record: IdempotencyRecord): Promise<void> {
    await this.run((records) =>
      records.updateOne({ _id: record._id as never, owner: record.owner, state: 'pending' }, { $set: { leaseUntil: new Date() } }),
    );
  }

  private async run<T>(operation: (records: mongoose.mongo.Collection) => Promise<T>): Promise<T> {
    // Like Resource.runWrite: never let Mongoose buffer a command to run after the client was answered.
    if (this.connection.readyState !== mongoose.ConnectionStates.connected || !this.connection.db) {
      throw new ServiceUnavailable(1);
    }
    return withDeadline(operation(this.connection.db.collection(IDEMPOTENCY_COLLECTION)), this.timeoutMS);
  }

  /**
   * A TTL index removes completed records after their `expiresAt`. FerretDB v1 does not implement TTL
   * indexes ("Index option expireAfterSeconds is not implemented yet", see test/server-capabilities.test.ts):
   * there, expired records are treated as absent when next used and swept now and then.
   */
  private ensureTtlIndex(): void {
    this.ttlIndex ??= this.run((records) => records.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' })).then(
      () => true,
      () => {
        // Refused (no TTL support) or failed (server away): try again on a later request if it was the latter.
        this.ttlIndex = this.connection.readyState === mongoose.ConnectionStates.connected ? Promise.resolve(false) : undefined;
        return false;
      },
    );
  }

  private sweepIfNeeded(): void {
    void this.ttlIndex?.then((hasTtl) => {
      if (hasTtl || Date.now() - this.lastSweep < SWEEP_INTERVAL_MS) return;
      this.lastSweep = Date.now();
      return this.run((records) => records.deleteMany({ expiresAt: { $lte: new Date() } })).then(
        () => undefined,
        () => undefined,
      );
    });
  }
}

const stores = new WeakMap<Connection, Map<number, IdempotencyStore>>();

/** The store of a connection, for operations under the given deadline. */
export function storeFor(connection: Connection, timeoutMS: number): IdempotencyStore {
  let byTimeout = stores.get(connection);
  if (!byTimeout) stores.set(connection, (byTimeout = new Map()));
  let store = byTimeout.get(timeoutMS);
  if (!store) byTimeout.set(timeoutMS, (store = new IdempotencyStore(connection, timeoutMS)));
  return store;
}
