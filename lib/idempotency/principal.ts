/**
 * Whose idempotency key a request uses. Keys are per principal, so two users (or two API keys) sending
 * the same key never see each other's answers; requests without a user are one principal, "anonymous".
 */
import type { RequestContext } from '../types.js';
import { canonicalJson } from '../write/canonical.js';

const identityFields = ['id', '_id', 'sub'] as const;

/** `ctx.state.user` → a stable identity: its `id`, `_id` or `sub`, else the whole user as sorted JSON. */
export function defaultPrincipal(ctx: RequestContext): string {
  const user: unknown = (ctx.state as Record<string, unknown>).user;
  if (user === undefined || user === null) return 'anonymous';
  if (typeof user !== 'object') return `user:${String(user)}`;
  for (const field of identityFields) {
    const value: unknown = (user as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') return `${field}:${value}`;
    // An ObjectId (a Mongoose user document's `_id`).
    if (value !== null && typeof value === 'object' && typeof (value as { toHexString?: unknown }).toHexString === 'function') {
      return `${field}:${(value as { toHexString(): string }).toHexString()}`;
    }
  }
  return `user:${canonicalJson(user)}`;
}
