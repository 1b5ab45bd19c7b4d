/**
 * Where a direct operation (direct-read.ts, direct-create/, direct-update/) is sent: to the driver's
 * collection itself when Mongoose's wrapper of it (`Model.collection`) would only pass the call on, else
 * to the wrapper. The wrapper checks, per call, whether to buffer the command, print it (`debug`) or emit
 * `operation-start`/`operation-end`, and wraps the driver's promise in one of its own (Mongoose 8 also
 * makes an ObjectId per call): a read by id paid for that on every request.
 *
 * The driver's collection is taken only when all of this holds (else the wrapper keeps every behaviour):
 *  - the connection is open and the wrapper has its driver collection (`buffer === false`: Mongoose
 *    clears it on open and sets it again on close), and it was not force-closed;
 *  - no `debug` (the connection's, else Mongoose's), no listener of `operation-start`/`operation-end`;
 *  - the method is the wrapper's own, not replaced on the instance (an app's or a test's instrumentation).
 * test/read-fast-paths.test.ts shows each condition keeps the call on the wrapper.
 */
import type { AnyModel } from '../types.js';

interface WrapperShape {
  buffer?: unknown;
  collection?: Record<string, unknown> | null;
  conn?: {
    $wasForceClosed?: unknown;
    options?: { debug?: unknown } | null;
    base?: { options?: { debug?: unknown } | null };
    listenerCount?: (event: string) => number;
  };
}

/** The object to call `op` on for `model`: the driver's collection when the wrapper would add nothing, else the wrapper. */
export function collectionFor(model: AnyModel, op: string): unknown {
  const wrapper = model.collection as unknown as WrapperShape;
  const driver = wrapper.collection;
  const conn = wrapper.conn;
  if (wrapper.buffer !== false || driver == null || typeof driver[op] !== 'function' || !conn || conn.$wasForceClosed) return wrapper;
  const connectionDebug = conn.options?.debug;
  if ((connectionDebug == null ? conn.base?.options?.debug : connectionDebug) || typeof conn.listenerCount !== 'function') return wrapper;
  if (conn.listenerCount('operation-start') > 0 || conn.listenerCount('operation-end') > 0) return wrapper;
  return Object.hasOwn(wrapper, op) ? wrapper : driver;
}
