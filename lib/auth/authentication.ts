/**
 * Authentication strategies. A view lists classes (or configured instances); a request passes when the
 * list is empty or any one strategy authorizes it. Runs before the body is read or the database is used.
 * Fail closed: only a literal `true` lets a request through, and a strategy that throws answers 500.
 */
import { Unauthorized } from '../errors.js';
import type { OpenApiSecurityScheme } from '../openapi/types.js';
import type { MaybePromise, RequestContext } from '../types.js';

/**
 * Base class of authentication strategies: implement `authorized(ctx)`.
 *
 * `authorized` answers `true` to let the request through (anything else refuses) and may set
 * `ctx.state.user`. It runs before the request body is read and before any database work; throwing
 * answers 500 `{"error":"Internal Server Error"}` — never access. A strategy that refuses has whatever
 * it wrote to `ctx.state.user` undone, so a later strategy cannot pass with a half-authenticated user.
 *
 * @example
 * ```ts
 * class HeaderSecret extends AuthenticationBase {
 *   scheme = 'Secret';                       // sent as `WWW-Authenticate: Secret` on a 401
 *   authorized(ctx: RequestContext) {
 *     return ctx.get('X-Secret') === process.env.SECRET;
 *   }
 * }
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List];
 *   authenticationMethods = [HeaderSecret];   // a class, or a configured instance
 * }
 * ```
 */
export abstract class AuthenticationBase {
  /**
   * How the OpenAPI document describes this strategy (a security scheme object), declared on the class:
   * `static openapi = { type: 'apiKey', in: 'header', name: 'X-Secret' } as const`. Built-in strategies
   * need none; a strategy without one is named in the operations' descriptions only.
   */
  static openapi?: OpenApiSecurityScheme;

  /** Sent as `WWW-Authenticate` on a 401 (e.g. `Bearer`); none when unset. */
  scheme?: string;

  /**
   * The challenge this strategy adds to the `WWW-Authenticate` of a 401 for the request `ctx`: by
   * default `scheme`. Override it to say why a credential the request carried was refused, e.g.
   * `Bearer error="invalid_token"` (RFC 6750) — as `JwtAuthentication` does.
   */
  challenge(_ctx: RequestContext): string | undefined {
    return this.scheme;
  }

  /** True to let the request through; may set `ctx.state.user`. Throwing answers 500 (fail closed). */
  abstract authorized(ctx: RequestContext): MaybePromise<boolean>;
}

/** A strategy class with a no-argument constructor, instantiated once when the view is registered. */
export type AuthenticationClass = new () => AuthenticationBase;
/** What `authenticationMethods` lists: a strategy class or a configured instance. */
export type AuthenticationSpec = AuthenticationBase | AuthenticationClass;

/**
 * The view's strategies as instances (classes are instantiated once, at registration). Throws a
 * `TypeError` at registration for anything that is not a strategy.
 *
 * @internal
 * @example
 * ```ts
 * const strategies = instantiateStrategies([HeaderSecret, new BearerAuthentication({ verify })]);
 * ```
 */
export function instantiateStrategies(specs: readonly AuthenticationSpec[]): AuthenticationBase[] {
  if (!Array.isArray(specs)) throw new TypeError('authenticationMethods must be a list of AuthenticationBase classes or instances.');
  return specs.map((spec, index) => {
    const strategy: unknown = spec instanceof AuthenticationBase || typeof spec !== 'function' ? spec : new spec();
    if (typeof (strategy as Partial<AuthenticationBase> | null)?.authorized !== 'function') {
      throw new TypeError(`authenticationMethods[${index}] is not an authentication strategy (it needs an authorized(ctx) method).`);
    }
    return strategy as AuthenticationBase;
  });
}

/**
 * The 401 for a request the strategies did not authorize: `WWW-Authenticate` lists the challenge of
 * every strategy that has one (its `challenge(ctx)`, by default its `scheme`).
 *
 * @internal
 * @example
 * ```ts
 * throw unauthorizedFor(strategies, ctx); // 401 {"error":"Unauthorized"}, WWW-Authenticate: Bearer
 * ```
 */
export function unauthorizedFor(strategies: readonly AuthenticationBase[], ctx?: RequestContext): Unauthorized {
  const challenges = strategies
    .map((strategy) => (ctx !== undefined && typeof strategy.challenge === 'function' ? strategy.challenge(ctx) : strategy.scheme))
    .filter((challenge): challenge is string => !!challenge);
  return new Unauthorized(challenges.length > 0 ? challenges.join(', ') : undefined);
}

/**
 * Passes when no strategy is listed or any one answers `true`; otherwise throws the 401. Strategies are
 * asked in order; a refusing strategy's changes to `ctx.state.user` are rolled back.
 *
 * @internal
 * @example
 * ```ts
 * await authenticate(ctx, strategies); // throws Unauthorized (401) when none authorizes
 * ```
 */
export async function authenticate(ctx: RequestContext, strategies: readonly AuthenticationBase[]): Promise<AuthenticationBase | undefined> {
  if (strategies.length === 0) return undefined;
  const state = ctx.state as Record<string, unknown>;
  for (const strategy of strategies) {
    const hadUser = Object.hasOwn(state, 'user');
    const user = state.user;
    if ((await strategy.authorized(ctx)) === true) return strategy;
    if (hadUser) state.user = user;
    else delete state.user;
  }
  throw unauthorizedFor(strategies, ctx);
}

/**
 * A strategy that lets every request through without a user. List it **last**, after the real
 * strategies, to make authentication optional — then decide who may do what with the view's
 * `permissions` table or its permission hooks (a view with only this strategy and neither is open).
 * A request with wrong credentials falls through to it as anonymous.
 *
 * @example
 * ```ts
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Create];
 *   authenticationMethods = [bearer, AnonymousAuthentication];
 *   permissions = { List: allow, Create: role('editor') }; // anonymous POST → 401 + WWW-Authenticate: Bearer
 * }
 * ```
 */
export class AnonymousAuthentication extends AuthenticationBase {
  authorized(): boolean {
    return true;
  }
}

/**
 * Whether the request was authenticated: a strategy other than `AnonymousAuthentication` let it
 * through, or there is a `ctx.state.user` (set by a strategy or by the app's own middleware).
 *
 * @internal
 * @example
 * ```ts
 * if (isAuthenticated(ctx, await authenticate(ctx, strategies))) ctx.set('Cache-Control', 'private, no-cache');
 * ```
 */
export function isAuthenticated(ctx: RequestContext, strategy: AuthenticationBase | undefined): boolean {
  if (strategy !== undefined && !(strategy instanceof AnonymousAuthentication)) return true;
  const user: unknown = (ctx.state as Record<string, unknown> | undefined)?.user;
  return user !== undefined && user !== null && user !== false;
}
