/**
 * Load generation with autocannon (in the runner process, over loopback), and the one-request check
 * that precedes it.
 */
import autocannon from 'autocannon';
import type { HttpCall } from './types.js';

/** The server side of a load run: where it listens, and its child's idle/CPU reports. */
export interface LoadTarget {
  url: string;
  /** Resolves once the server has finished every request (false: still busy after its time limit). */
  idle(): Promise<boolean>;
  /** CPU time (user + system) the server process has used so far, microseconds. */
  cpuMicros(): Promise<number>;
}

/** How long a load run lasts: seconds, or a number of requests (ended after `maxSeconds` when set). */
export type RunLength = { seconds: number } | { requests: number; maxSeconds?: number };

/** `3 s`, `1000 requests` or `1000 requests (at most 10 s)`. */
export function describeLength(length: RunLength): string {
  if (!('requests' in length)) return `${length.seconds} s`;
  return length.maxSeconds === undefined ? `${length.requests} requests` : `${length.requests} requests (at most ${length.maxSeconds} s)`;
}

/**
 * `length` cut into `pieces` consecutive runs of equal length (the requests and their time limit, or the
 * seconds, divided; at least one request each): a warm-up run in pieces, interleaved between contenders.
 */
export function splitLength(length: RunLength, pieces: number): RunLength[] {
  const piece: RunLength =
    'requests' in length
      ? {
          requests: Math.max(1, Math.ceil(length.requests / pieces)),
          ...(length.maxSeconds !== undefined ? { maxSeconds: length.maxSeconds / pieces } : {}),
        }
      : { seconds: length.seconds / pieces };
  return Array.from({ length: pieces }, () => piece);
}

export interface LoadSettings {
  connections: number;
  length: RunLength;
  /** The i-th request; called for every request, so paths and bodies can vary (ids, unique titles). */
  call(i: number): HttpCall;
  /** The status that counts as a success. */
  expectedStatus: number;
}

export interface LoadResult {
  /** Requests sent; the server handles every one, including those in flight when the load stopped. */
  sent: number;
  /** Responses received before the load stopped (the latency and size figures are over these). */
  received: number;
  /** Wall time from the start of the load until the server was idle again, seconds. */
  seconds: number;
  /** Throughput: sent / seconds (so a slow scenario is not penalized for the requests cut off at the end). */
  rps: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
  /** Average response size, bytes (headers included). */
  bytesPerResponse: number;
  /** Server CPU time (user + system) per request sent, microseconds. */
  serverCpuMicros: number;
  /** Responses with another status than expected, plus connection errors and timeouts. */
  failures: number;
  /** Responses by status code (in the JSON results: what the failures were, e.g. 503 after the deadline). */
  statuses: Record<string, number>;
  /** False when the server still had requests in flight at its time limit after the load. */
  drained: boolean;
}

/** A fresh object per request: autocannon writes Content-Length into the headers object it is given. */
const jsonHeaders = () => ({ 'content-type': 'application/json' });

function toRequest(call: HttpCall): autocannon.Request {
  return call.body === undefined
    ? { method: call.method, path: call.path }
    : { method: call.method, path: call.path, headers: jsonHeaders(), body: JSON.stringify(call.body) };
}

/**
 * One load run: autocannon for `length` (seconds, or requests within an optional time limit) over
 * `connections` keep-alive connections, then a wait until the server has finished the requests autocannon
 * abandoned when it stopped, so that no work of this run spills into the next one and the server's CPU
 * time covers exactly the requests sent.
 */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  const { length } = settings;
  let counter = 0;
  const cpuBefore = await target.cpuMicros();
  const started = performance.now();
  // Without a callback autocannon returns its run tracker: then/catch and stop(); its types say Promise only.
  const run = autocannon({
    url: target.url,
    connections: settings.connections,
    ...('requests' in length ? { amount: length.requests } : { duration: length.seconds }),
    // autocannon stops on its first tick after `duration`: tick often, so short runs last what they say.
    sampleInt: 100,
    // Seconds before autocannon counts a request as failed (its default, 10, is shorter than what `filtered`
    // waits in FerretDB's queue at 10k posts, and than the library's deadline there: bench/run.ts).
    timeout: 60,
    // One request template, rebuilt per request with the next call of the scenario.
    requests: [{ setupRequest: (request) => ({ ...request, ...toRequest(settings.call(counter++)) }) }],
  }) as Promise<autocannon.Result> & Pick<autocannon.Instance, 'stop'>;
  const maxSeconds = 'requests' in length ? length.maxSeconds : undefined;
  const limit = maxSeconds !== undefined ? setTimeout(() => run.stop(), maxSeconds * 1000) : undefined;
  let result: autocannon.Result;
  try {
    result = await run; // the tracker has then/catch, not finally
  } finally {
    clearTimeout(limit);
  }
  const drained = await target.idle();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await target.cpuMicros()) - cpuBefore;

  const received = result.requests.total;
  const sent = Math.max(result.requests.sent, received);
  const succeeded = result.statusCodeStats?.[`${settings.expectedStatus}`]?.count ?? 0;
  return {
    sent,
    received,
    seconds,
    rps: sent / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerResponse: received > 0 ? result.throughput.total / received : 0,
    serverCpuMicros: sent > 0 ? cpu / sent : 0,
    failures: received - succeeded + result.errors,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, stats?.count ?? 0])),
    drained,
  };
}

/** One request's answer: status and parsed JSON (or the raw text when it is not JSON). */
export interface Probe {
  status: number;
  body: unknown;
}

/** One request, answered as status and parsed JSON (or the raw text when it is not JSON). */
export async function probe(baseUrl: string, call: HttpCall): Promise<Probe> {
  const response = await fetch(baseUrl + call.path, {
    method: call.method,
    ...(call.body === undefined ? {} : { headers: jsonHeaders(), body: JSON.stringify(call.body) }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * Consecutive runs of one contender read as one run: counts, time and server CPU summed (CPU per request
 * weighted by the requests of each), latency and response size those of the last run (the warmest).
 */
export function combineLoads(results: readonly LoadResult[]): LoadResult {
  const last = results.at(-1);
  if (!last) throw new Error('combineLoads: no runs');
  let sent = 0;
  let received = 0;
  let seconds = 0;
  let cpu = 0;
  let failures = 0;
  const statuses: Record<string, number> = {};
  for (const result of results) {
    sent += result.sent;
    received += result.received;
    seconds += result.seconds;
    cpu += result.serverCpuMicros * result.sent;
    failures += result.failures;
    for (const [status, count] of Object.entries(result.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  }
  return {
    sent,
    received,
    seconds,
    rps: seconds > 0 ? sent / seconds : 0,
    p50: last.p50,
    p99: last.p99,
    bytesPerResponse: last.bytesPerResponse,
    serverCpuMicros: sent > 0 ? cpu / sent : 0,
    failures,
    statuses,
    drained: results.every((result) => result.drained),
  };
}
