/**
 * Authentication strategies. A view lists classes (or configured instances); a request passes when the
 * list is empty or any one strategy authorizes it. Runs before the body is read or the database is used.
 */
import { Unauthorized } from '../errors.js';
import type { MaybePromise, RequestContext } from '../types.js';

export abstract class AuthenticationBase {
  /** Sent as `WWW-Authenticate` on a 401 (e.g. `Bearer`); none when unset. */
  scheme?: string;

  /** True to let the request through; may set `ctx.state.user`. Throwing answers 500 (fail closed). */
  abstract authorized(ctx: RequestContext): MaybePromise<boolean>;
}

export type AuthenticationClass = new () => AuthenticationBase;
export type AuthenticationSpec = AuthenticationBase | AuthenticationClass;

export function instantiateStrategies(specs: readonly AuthenticationSpec[]): AuthenticationBase[] {
  return specs.map((spec) => (spec instanceof AuthenticationBase ? spec : new spec()));
}

export async function authenticate(ctx: RequestContext, strategies: readonly AuthenticationBase[]): Promise<void> {
  if (strategies.length === 0) return;
  for (const strategy of strategies) {
    if ((await strategy.authorized(ctx)) === true) return;
  }
  const schemes = strategies.map((strategy) => strategy.scheme).filter((scheme): scheme is string => !!scheme);
  throw new Unauthorized(schemes.length > 0 ? schemes.join(', ') : undefined);
}
