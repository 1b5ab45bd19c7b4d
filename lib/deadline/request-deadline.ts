/**
 * The database time budget of one request, and whether any of its writes has reached the server. The
 * budget (`databaseTimeoutMS`) starts with the request's first database operation — never while a slow
 * client is still uploading the body — and is shared by every operation of the request. The second half
 * decides the status of a database failure: 503 + `Retry-After` only while nothing was sent, 504 once a
 * write may have been applied (a retry could apply it twice).
 */
import { GatewayTimeout, ServiceUnavailable, type HttpError } from '../errors.js';
import { requestState } from '../http/request-state.js';

/** A gated write still running (deadline/write-gate.ts). */
export interface InFlightWrite {
  /** Whether the driver has built (and so may have sent) the command. */
  reached(): boolean;
  /** Makes sure it is never sent; true when that is proved. */
  cancel(): boolean;
}

export class RequestDeadline {
  /** Wall-clock time (ms since the epoch) the budget runs out; `undefined` until the first operation. */
  private expires: number | undefined;
  private sent = false;
  /** Made by the request's first gated write (most requests have none). */
  private inFlight: Set<InFlightWrite> | undefined;

  constructor(
    /** The budget, in milliseconds (`MongoRestOptions.databaseTimeoutMS`). */
    readonly timeoutMS: number,
  ) {}

  /** Whether the budget is finite (a `databaseTimeoutMS` of 0 or less, or Infinity, disables the deadline). */
  get bounded(): boolean {
    return this.timeoutMS > 0 && Number.isFinite(this.timeoutMS);
  }

  /** When the budget runs out (ms since the epoch), starting it if no operation has yet. */
  get expiresAt(): number {
    this.expires ??= Date.now() + this.timeoutMS;
    return this.expires;
  }

  /** Milliseconds left (Infinity when unbounded); starts the budget on first use. */
  remainingMS(): number {
    if (!this.bounded) return Infinity;
    return this.expiresAt - Date.now();
  }

  /**
   * A new budget for building the answer after the request's writes were acknowledged: a slow database
   * at that point should not turn a saved change into an error more easily than a read would be one.
   */
  restart(): void {
    this.expires = undefined;
  }

  /** Records that a write of this request was handed to the server (acknowledged or not). */
  noteWriteSent(): void {
    this.sent = true;
  }

  /** True once a write of this request may have reached the server (settled or still running). */
  get writeSent(): boolean {
    if (!this.sent && this.inFlight) for (const write of this.inFlight) if (write.reached()) this.sent = true;
    return this.sent;
  }

  /** Tracks a running write until the returned function is called (when it settles). */
  track(write: InFlightWrite): () => void {
    const inFlight = (this.inFlight ??= new Set());
    inFlight.add(write);
    return () => inFlight.delete(write);
  }

  /**
   * Called when the request answers with an error while writes may still be running (one save of a
   * bulk update failed, the others are in flight): those not sent yet are cancelled, so the answer can
   * be decided now and stays true. Returns whether any write of the request may have been sent.
   */
  freeze(): boolean {
    for (const write of this.inFlight ?? []) {
      if (write.reached() || !write.cancel()) this.sent = true;
    }
    this.inFlight?.clear();
    return this.sent;
  }

  /** The answer for "the database is not there / did not answer in time" at this point of the request. */
  unavailable(): HttpError {
    return this.writeSent ? new GatewayTimeout() : new ServiceUnavailable(1);
  }
}

/** The deadline of the request `ctx` (created on first call with the view's `databaseTimeoutMS`). */
export function requestDeadline(ctx: object, timeoutMS: number): RequestDeadline {
  return (requestState(ctx).deadline ??= new RequestDeadline(timeoutMS));
}

/** The deadline of `ctx` if a view served it, else `undefined`. */
export function existingRequestDeadline(ctx: object): RequestDeadline | undefined {
  return requestState(ctx).deadline;
}
