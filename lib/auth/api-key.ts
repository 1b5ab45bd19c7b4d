/** API keys sent in a request header (default `X-API-Key`). */
import type { RequestContext } from '../types.js';
import { checkHeaderText, CredentialAuthentication, type StaticSecrets, type VerifyCredential } from './credentials.js';

/** Options of {@link ApiKeyAuthentication}: `verify`, `keys`, or both (keys are tried first). */
export interface ApiKeyOptions<User = unknown> {
  /** Resolves a key to its user (set as `ctx.state.user`); a falsy answer refuses. */
  verify?: VerifyCredential<User>;
  /**
   * Keys known in advance, compared in constant time: a list (the user is then `{ keyIndex }`) or an
   * object mapping each key to its user.
   */
  keys?: StaticSecrets<User>;
  /** Request header carrying the key. Default `X-API-Key`. */
  header?: string;
  /** Sent as `WWW-Authenticate` on a 401 (API keys have no registered scheme, so none by default). */
  scheme?: string;
}

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Authenticates by an API key in a request header. The key goes to your `verify` function (or is
 * looked up, in constant time, among static `keys`); what comes back becomes `ctx.state.user`, and a
 * falsy answer refuses. A request without the header is refused without calling `verify`.
 * Keys in query strings are deliberately not supported: URLs end up in logs.
 *
 * @example
 * ```ts
 * const apiKey = new ApiKeyAuthentication({
 *   verify: async (key) => ApiClient.findOne({ keyHash: sha256(key) }).lean(), // user or null
 *   header: 'X-API-Key',                                                      // the default
 * });
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Fetch];
 *   authenticationMethods = [apiKey];
 * }
 * // or keys known in advance: new ApiKeyAuthentication({ keys: { [process.env.CI_KEY!]: { name: 'ci' } } })
 * ```
 */
export class ApiKeyAuthentication<User = unknown> extends CredentialAuthentication<User> {
  /** The request header read (as configured; header names are case-insensitive). */
  readonly header: string;

  constructor(options: ApiKeyOptions<User>) {
    super(
      { verify: options?.verify, secrets: options?.keys },
      { strategy: 'ApiKeyAuthentication', verify: 'verify', secrets: 'keys' },
    );
    const header = options.header ?? 'X-API-Key';
    if (typeof header !== 'string' || !headerName.test(header)) {
      throw new TypeError(`ApiKeyAuthentication: header must be an HTTP header name (got ${JSON.stringify(header)}).`);
    }
    this.header = header;
    if (options.scheme !== undefined) this.scheme = checkHeaderText(options.scheme, 'ApiKeyAuthentication: scheme');
  }

  protected credential(ctx: RequestContext): string | undefined {
    return ctx.get(this.header) || undefined;
  }
}
