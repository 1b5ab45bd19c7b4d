/**
 * The `idempotency` option of `MongoRest`: whether `Idempotency-Key` is honoured, how long completed keys
 * are remembered, and whose key a request uses.
 */
import type { RequestContext } from '../types.js';
import { defaultPrincipal } from './principal.js';

/**
 * Settings of idempotency keys (`new MongoRest({ idempotency: { ... } })`).
 *
 * @example
 * ```ts
 * const api = new MongoRest({ idempotency: { ttlSeconds: 3600 } });
 * // POST /notes/ with `Idempotency-Key: 3f1c…` twice → one note; the second answer replays the first.
 * ```
 */
export interface IdempotencyOptions {
  /** How long a completed key is remembered (its answer replayed), in seconds. Default 86 400 (24 h). */
  ttlSeconds?: number;
  /**
   * Who sent the request: keys are separate per principal (and per view). Default: the `id`, `_id` or
   * `sub` of `ctx.state.user`, else the whole user object (as sorted JSON); requests without a user share
   * the principal "anonymous".
   */
  principal?: (ctx: RequestContext) => string;
}

/** What `new MongoRest({ idempotency })` accepts: `true` for the defaults, or the settings. */
export type IdempotencySetting = boolean | IdempotencyOptions;

/** The resolved settings (internal). */
export interface IdempotencyConfig {
  ttlMS: number;
  principal: (ctx: RequestContext) => string;
}

export const DEFAULT_TTL_SECONDS = 24 * 60 * 60;

/** `undefined` when disabled; throws a `TypeError` for settings that make no sense. */
export function resolveIdempotency(setting: IdempotencySetting | undefined): IdempotencyConfig | undefined {
  if (setting === undefined || setting === false) return undefined;
  const options: IdempotencyOptions = setting === true ? {} : setting;
  if (options === null || typeof options !== 'object') {
    throw new TypeError('idempotency must be true, false or { ttlSeconds, principal }.');
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError(`idempotency.ttlSeconds must be a positive number of seconds (got ${String(ttlSeconds)}).`);
  }
  if (options.principal !== undefined && typeof options.principal !== 'function') {
    throw new TypeError('idempotency.principal must be a function (ctx) => string.');
  }
  return { ttlMS: ttlSeconds * 1000, principal: options.principal ?? defaultPrincipal };
}
