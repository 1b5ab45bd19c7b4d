/**
 * Runs one write so that the request can always tell the client the truth about it: either the write
 * reached the server (its outcome is then the server's answer, or unknown → 504), or it provably never
 * did and never will (→ 503 + `Retry-After`, safe to retry).
 *
 * How "never sent, never later" is proved, with nothing but the driver's public session API:
 *  - Every gated write runs in an explicit `ClientSession` of its own. The driver stamps a session's
 *    server session (`serverSession.lastUse`) while it builds the command for the wire (`applySession`,
 *    right before the socket write, on every attempt, retries included) and refuses to build a command
 *    for a session that has ended (`MongoExpiredSessionError`, before anything is written; Mongoose
 *    refuses to attach one, too). A command cannot be sent without that step: a server without sessions
 *    makes the driver refuse the explicit session instead (handled below).
 *  - The gate sets `lastUse` to a sentinel before starting. When the deadline fires, in one synchronous
 *    step it looks at the stamp and, if it is still the sentinel, ends the session. JavaScript runs one
 *    thing at a time, so either the driver had already stamped it (→ sent, or about to be: 504) or every
 *    later attempt — after server selection, a pool checkout, Mongoose buffering or a reconnect, however
 *    late — finds the session ended and gives up without writing (→ 503).
 *  - When the operation settles before the deadline, the same stamp says whether a network failure or
 *    server-selection error came before anything was sent (503) or after (504). Answers of the server
 *    (duplicate key, validation, …) pass through unchanged.
 *
 * Servers that refuse explicit sessions (none of MongoDB ≥ 3.6 and FerretDB do) and unacknowledged
 * writes (`w: 0`, which may not carry one) fall back to an ungated write: once such a write was started,
 * a timeout or network failure is 504, since nothing proves it was not sent.
 */
import type mongoose from 'mongoose';
import { GatewayTimeout } from '../errors.js';
import { isDatabaseUnavailable } from '../http/database.js';
import type { AnyModel } from '../types.js';
import type { RequestDeadline } from './request-deadline.js';

export type ClientSession = mongoose.mongo.ClientSession;

/** A write that takes the session to run in (`doc.save({ session })`); `undefined` when ungated. */
export type GatedWrite<T> = (session: ClientSession | undefined) => PromiseLike<T>;

/** `lastUse` of a server session no command was built for yet (the driver only ever stores times ≥ 0). */
const UNUSED = -1;

/** Clients whose server (or write concern) refused an explicit session once: their writes run ungated. */
const ungatedClients = new WeakSet<object>();

/**
 * Runs `write` under the request's deadline. Resolves with its result; rejects with 503 (never sent,
 * never will be), 504 (sent, no answer in time, or the connection failed after sending), or the error
 * the server answered with.
 */
export async function runGatedWrite<T>(model: AnyModel, deadline: RequestDeadline, write: GatedWrite<T>): Promise<T> {
  const connection = model.db;
  // No "refuse while disconnected" shortcut: Mongoose buffers a write while its connection is down and
  // runs it after reconnecting. Within the deadline that is what the client wants (a missed heartbeat on
  // a busy server must not fail writes); after it, the gate has ended the session and the buffered write
  // is refused by the driver without being sent.
  const remaining = deadline.remainingMS();
  if (remaining <= 0) throw deadline.unavailable();
  const client = connection.getClient();
  // A callback that takes no session (`() => …`) cannot be proved unsent: it runs ungated.
  if (write.length === 0 || ungatedClients.has(client)) return runUngated(deadline, remaining, write);

  const session = client.startSession({ causalConsistency: false });
  const serverSession = session.serverSession;
  serverSession.lastUse = UNUSED;
  const reached = () => serverSession.lastUse !== UNUSED;
  const end = () => void session.endSession().catch(() => undefined);
  // Ending the session is what stops it; `endSession` marks it ended synchronously (if a future driver
  // did not, nothing would prove "never sent", and the write counts as sent).
  const cancel = () => {
    end();
    return session.hasEnded && !reached();
  };

  let pending: Promise<T>;
  try {
    pending = Promise.resolve(write(session));
  } catch (error) {
    end();
    throw error;
  }
  const untrack = deadline.track({ reached, cancel });

  return new Promise<T>((resolve, reject) => {
    let answered = false;
    const timer = deadline.bounded
      ? setTimeout(() => {
          answered = true;
          if (reached()) {
            // Sent (or being sent): the server may apply it. The session ends when the operation does.
            deadline.noteWriteSent();
            reject(new GatewayTimeout());
            return;
          }
          // Not sent yet: end the session now, so that no later attempt can send it.
          untrack();
          if (cancel()) reject(deadline.unavailable());
          else {
            deadline.noteWriteSent();
            reject(new GatewayTimeout());
          }
        }, remaining)
      : undefined;

    pending.then(
      (value) => {
        clearTimeout(timer);
        untrack();
        end();
        if (reached()) deadline.noteWriteSent();
        if (!answered) resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        untrack();
        end();
        const sent = reached();
        if (sent) deadline.noteWriteSent();
        if (answered) return;
        if (!sent && refusesExplicitSessions(error)) {
          // Refused before anything was written: remember it, and run the write without a session.
          ungatedClients.add(client);
          const left = deadline.remainingMS();
          if (left <= 0) reject(deadline.unavailable());
          else runUngated(deadline, left, write).then(resolve, reject);
          return;
        }
        if (isDatabaseUnavailable(error)) reject(sent ? new GatewayTimeout() : deadline.unavailable());
        else reject(error);
      },
    );
  });
}

/** Write concern as Mongoose's `save`/`deleteOne` options take it. */
export interface WriteOptions {
  session?: ClientSession;
  writeConcern?: mongoose.QueryOptions['writeConcern'];
}

/**
 * The options a gated write passes to Mongoose: the session, plus the schema's `writeConcern` spelled
 * out — Mongoose skips a schema's write concern for any operation that has a session (it takes every
 * session for a transaction), so without this a schema's `{ w: 'majority' }` would be silently lost.
 */
export function writeOptions(model: AnyModel, session: ClientSession | undefined): WriteOptions {
  const writeConcern = (model.schema.options as { writeConcern?: WriteOptions['writeConcern'] }).writeConcern;
  const options: WriteOptions = { session };
  if (writeConcern && Object.keys(writeConcern).length > 0) options.writeConcern = { ...writeConcern };
  return options;
}

/** Errors of a driver that will not put an explicit session on this write; raised before sending. */
function refusesExplicitSessions(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MongoCompatibilityError') return /support sessions/i.test(error.message);
  return error.name === 'MongoAPIError' && /explicit session with unacknowledged writes/i.test(error.message);
}

/** Without a session nothing proves "not sent" once the driver has the write: failures are 504. */
async function runUngated<T>(deadline: RequestDeadline, remaining: number, write: GatedWrite<T>): Promise<T> {
  deadline.noteWriteSent();
  let timer: NodeJS.Timeout | undefined;
  const pending = Promise.resolve(write(undefined));
  pending.catch(() => undefined);
  const expired = new Promise<never>((_, reject) => {
    if (deadline.bounded) timer = setTimeout(() => reject(new GatewayTimeout()), remaining);
  });
  try {
    return await Promise.race([pending, expired]);
  } catch (error) {
    throw isDatabaseUnavailable(error) ? new GatewayTimeout() : error;
  } finally {
    clearTimeout(timer);
  }
}
