/**
 * What the API-key and bearer strategies share: take one credential string from the request, look it up
 * in a static table (compared in constant time) and/or hand it to the app's `verify`, and put whatever
 * comes back in `ctx.state.user`. A falsy answer refuses.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MaybePromise, RequestContext } from '../types.js';
import { AuthenticationBase } from './authentication.js';

/**
 * The app's check of a credential: the user it belongs to (set as `ctx.state.user`), or a falsy value
 * (`null`, `undefined`, `false`) to refuse. Throwing answers 500 — never access.
 */
export type VerifyCredential<User> = (credential: string, ctx: RequestContext) => MaybePromise<User | null | undefined | false>;

/**
 * Static secrets: a list (the user is then `{ keyIndex }`, the secret's position in the list, so keys can
 * be told apart without keeping the secret around) or an object mapping each secret to its user.
 */
export type StaticSecrets<User> = readonly string[] | Readonly<Record<string, User>>;

/** The user `ctx.state.user` is set to when a secret from a plain list matches. */
export interface StaticKeyUser {
  /** Position of the matching secret in the configured list. */
  keyIndex: number;
}

interface SecretEntry {
  digest: Buffer;
  user: unknown;
}

const digestOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Secrets known in advance, kept only as SHA-256 digests. A lookup digests the candidate (so every
 * comparison is between equal-length buffers) and compares it against every entry with
 * `crypto.timingSafeEqual`, without stopping at a match: the time taken says nothing about the secrets.
 *
 * @internal
 * @example
 * ```ts
 * const table = new SecretTable({ 's3cret': { name: 'ci' } }, 'keys');
 * table.find('s3cret'); // { name: 'ci' }
 * ```
 */
export class SecretTable {
  private readonly entries: SecretEntry[] = [];

  constructor(secrets: StaticSecrets<unknown>, option: string) {
    const pairs: Array<[string, unknown]> = Array.isArray(secrets)
      ? (secrets as readonly string[]).map((secret, keyIndex) => [secret, { keyIndex } satisfies StaticKeyUser])
      : Object.entries(secrets as Record<string, unknown>);
    const seen = new Set<string>();
    for (const [secret, user] of pairs) {
      if (typeof secret !== 'string' || secret === '') throw new TypeError(`${option} must contain non-empty strings only.`);
      if (!user) throw new TypeError(`${option}: every secret must map to a user (a truthy value).`);
      if (seen.has(secret)) throw new TypeError(`${option} lists the same secret twice.`);
      seen.add(secret);
      this.entries.push({ digest: digestOf(secret), user });
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The user of the matching secret, or `undefined`. */
  find(candidate: string): unknown {
    const digest = digestOf(candidate);
    let found: unknown;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.user;
    }
    return found;
  }
}

/**
 * A header value an app configured (scheme, realm): printable ASCII only, so it can never split a header.
 *
 * @internal
 * @example
 * ```ts
 * checkHeaderText('Bearer', 'scheme'); // 'Bearer'
 * ```
 */
export function checkHeaderText(value: string, what: string): string {
  if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) throw new TypeError(`${what} must be printable ASCII text.`);
  return value;
}

/** The options both credential strategies take. */
export interface CredentialOptions<User> {
  verify?: VerifyCredential<User> | undefined;
  secrets?: StaticSecrets<User> | undefined;
}

/**
 * A strategy that reads one credential string from the request. Subclasses say where it comes from.
 * Static secrets are tried first, then `verify`; the first truthy answer becomes `ctx.state.user`.
 *
 * @internal
 * @example
 * ```ts
 * class CookieAuthentication extends CredentialAuthentication<User> {
 *   protected credential(ctx: RequestContext) { return ctx.cookies.get('session'); }
 * }
 * ```
 */
export abstract class CredentialAuthentication<User> extends AuthenticationBase {
  private readonly verifyCredential: VerifyCredential<User> | undefined;
  private readonly table: SecretTable | undefined;

  protected constructor(options: CredentialOptions<User>, names: { verify: string; secrets: string; strategy: string }) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${names.strategy} needs options: { ${names.verify}: async (credential, ctx) => user | null } or { ${names.secrets}: [...] }.`);
    }
    const { verify, secrets } = options;
    if (verify !== undefined && typeof verify !== 'function') throw new TypeError(`${names.strategy}: ${names.verify} must be a function.`);
    if (secrets !== undefined && (secrets === null || typeof secrets !== 'object')) {
      throw new TypeError(`${names.strategy}: ${names.secrets} must be a list of secrets or an object mapping each secret to its user.`);
    }
    this.verifyCredential = verify;
    this.table = secrets === undefined ? undefined : new SecretTable(secrets, `${names.strategy}: ${names.secrets}`);
    if (!this.verifyCredential && !this.table?.size) {
      throw new TypeError(`${names.strategy} needs a ${names.verify} function or a non-empty ${names.secrets} option.`);
    }
  }

  /** The credential the request carries, or `undefined` when it carries none (refused without a lookup). */
  protected abstract credential(ctx: RequestContext): string | undefined;

  /** Static secrets first, then `verify`; the first truthy answer becomes `ctx.state.user`. */
  async authorized(ctx: RequestContext): Promise<boolean> {
    const credential = this.credential(ctx);
    if (!credential) return false;
    let user: unknown = this.table?.find(credential);
    if (!user && this.verifyCredential) user = await this.verifyCredential(credential, ctx);
    if (!user) return false;
    (ctx.state as Record<string, unknown>).user = user;
    return true;
  }
}
