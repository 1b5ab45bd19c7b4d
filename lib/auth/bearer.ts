/** Bearer tokens (RFC 6750): `Authorization: Bearer <token>`. */
import type { RequestContext } from '../types.js';
import { checkHeaderText, CredentialAuthentication, type StaticSecrets, type VerifyCredential } from './credentials.js';

/** Options of {@link BearerAuthentication}: `verify`, `tokens`, or both (tokens are tried first). */
export interface BearerOptions<User = unknown> {
  /** Resolves a token to its user (set as `ctx.state.user`); a falsy answer refuses. */
  verify?: VerifyCredential<User>;
  /**
   * Tokens known in advance, compared in constant time: a list (the user is then `{ keyIndex }`) or an
   * object mapping each token to its user.
   */
  tokens?: StaticSecrets<User>;
  /** Protection space named in the challenge: `WWW-Authenticate: Bearer realm="<realm>"`. */
  realm?: string;
}

/** `Bearer <token>`: scheme case-insensitive, one token of visible ASCII characters. */
const bearerCredentials = /^bearer +([\x21-\x7e]+) *$/i;

/**
 * Authenticates by `Authorization: Bearer <token>`. The token goes to your `verify` function (e.g. a
 * JWT check with the library of your choice, or a session-token lookup) or is looked up, in constant
 * time, among static `tokens`; what comes back becomes `ctx.state.user`, and a falsy answer refuses.
 * A 401 carries `WWW-Authenticate: Bearer` (with `realm="…"` when configured).
 *
 * @example
 * ```ts
 * const bearer = new BearerAuthentication({
 *   verify: async (token) => {
 *     const session = await Session.findOne({ token }).lean();
 *     return session && session.expires > new Date() ? { id: session.user, roles: session.roles } : null;
 *   },
 *   realm: 'api',
 * });
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Create];
 *   authenticationMethods = [bearer];
 * }
 * ```
 */
export class BearerAuthentication<User = unknown> extends CredentialAuthentication<User> {
  override scheme: string;

  constructor(options: BearerOptions<User>) {
    super(
      { verify: options?.verify, secrets: options?.tokens },
      { strategy: 'BearerAuthentication', verify: 'verify', secrets: 'tokens' },
    );
    this.scheme = 'Bearer';
    if (options.realm !== undefined) {
      const realm = checkHeaderText(options.realm, 'BearerAuthentication: realm');
      this.scheme = `Bearer realm="${realm.replace(/["\\]/g, '\\$&')}"`;
    }
  }

  protected credential(ctx: RequestContext): string | undefined {
    return bearerCredentials.exec(ctx.get('Authorization'))?.[1];
  }
}
