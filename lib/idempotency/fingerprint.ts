/**
 * The fingerprint of a request: what must be equal for a retry to be "the same request". Method, URL
 * (path and query string, as sent) and the parsed JSON body with keys sorted, so a client that
 * re-serializes the same data (other key order, other whitespace) still matches.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../write/canonical.js';

export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson([method, url, body === undefined ? null : body]))
    .digest('hex');
}

/** The record id: one record per key, view and principal (the `_id` index is the unique index). */
export function recordId(view: string, principal: string, key: string): string {
  return createHash('sha256').update(canonicalJson([view, principal, key])).digest('hex');
}

/** The principal as stored: a digest, so no user data lands in the idempotency collection. */
export function principalDigest(principal: string): string {
  return createHash('sha256').update(principal).digest('hex');
}
