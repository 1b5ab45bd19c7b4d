/**
 * JSON Web Tokens as bearer credentials (RFC 7519, RFC 6750), verified with `jose`: a shared secret
 * (HS*), a public key, or a remote key set (JWKS, fetched, cached and re-fetched when keys rotate).
 * The checks of what a token may be (algorithms, key kind, secret length) happen at construction; a
 * refused token makes the 401 challenge say `error="invalid_token"`.
 */
import { createPublicKey, KeyObject, webcrypto, type JsonWebKey as NodeJwk } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { HttpError } from '../errors.js';
import type { MaybePromise, RequestContext } from '../types.js';
import { AuthenticationBase } from './authentication.js';
import { checkHeaderText } from './credentials.js';

/** The JWS algorithms `JwtAuthentication` can be told to accept (`none` never is). */
export type JwtAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

/** A public key as `publicKey` takes it: PEM text (SPKI or X.509 certificate), a JWK, a `KeyObject` or a `CryptoKey`. */
export type JwtPublicKey = string | KeyObject | CryptoKey | JWK;

/** Options of {@link JwtAuthentication}: exactly one of `secret`, `publicKey`, `jwksUri`, and `algorithms`. */
export interface JwtOptions<User = JWTPayload> {
  /** Shared secret of HS256/384/512 tokens (at least as many bytes as the hash: 32, 48, 64). */
  secret?: string | Uint8Array;
  /** Public key of RS*, PS*, ES* or EdDSA tokens. */
  publicKey?: JwtPublicKey;
  /** URL of a JSON Web Key Set (`https://issuer/.well-known/jwks.json`): keys picked by the token's `kid`. */
  jwksUri?: string | URL;
  /** The algorithms accepted, e.g. `['RS256']`. Required; each must fit the key. `none` is never accepted. */
  algorithms: readonly JwtAlgorithm[];
  /** Accepted `iss` value(s); a token with another issuer is refused. Default: any. */
  issuer?: string | readonly string[];
  /** Accepted `aud` value(s); the token must name one of them. Default: any. */
  audience?: string | readonly string[];
  /** Seconds of clock skew allowed when checking `exp` and `nbf`. Default 0. */
  clockToleranceSec?: number;
  /**
   * The verified claims → `ctx.state.user` (default: the claims themselves). May be async; a falsy
   * answer refuses the token (401 `invalid_token`), e.g. for a user who was disabled. Throwing answers 500.
   */
  user?: (claims: JWTPayload, ctx: RequestContext) => MaybePromise<User | null | undefined | false>;
  /** Protection space named in the challenge: `WWW-Authenticate: Bearer realm="<realm>"`. */
  realm?: string;
  /**
   * With `jwksUri`: seconds after a fetch before a token with an unknown `kid` may fetch the key set
   * again (how fast a rotation is picked up, and how often tokens with made-up `kid`s can make the
   * server fetch). Default 30.
   */
  jwksCooldownSec?: number;
  /** With `jwksUri`: seconds a fetched key set is used before it is fetched again. Default 600. */
  jwksCacheMaxAgeSec?: number;
  /** With `jwksUri`: seconds to wait for the key set before answering 503. Default 5. */
  jwksTimeoutSec?: number;
}

/** Why a token was refused: the `error_description` of the challenge (fixed texts, never the token's content). */
const reasons = {
  malformed: 'The token is malformed.',
  expired: 'The token has expired.',
  notYetValid: 'The token is not valid yet.',
  issuer: 'The token was issued by an issuer that is not accepted.',
  audience: 'The token is not meant for this audience.',
  noExpiry: 'The token has no expiry (exp).',
  claims: 'The claims of the token are not acceptable.',
  algorithm: 'The algorithm of the token is not accepted.',
  signature: 'The signature of the token is invalid.',
  unknownKey: 'No key known to this server signed the token.',
  refused: 'The token was refused.',
} as const;
type Refusal = keyof typeof reasons;

/** The minimum secret length of each HMAC algorithm, in bytes (RFC 7518 §3.2: at least the hash size). */
const hmacBytes: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const knownAlgorithms: ReadonlySet<string> = new Set<JwtAlgorithm>([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);
/** Algorithms each kind of public key can verify (EC keys by curve). */
const algorithmsOfKey: Record<string, readonly JwtAlgorithm[]> = {
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  prime256v1: ['ES256'],
  secp384r1: ['ES384'],
  secp521r1: ['ES512'],
  ed25519: ['EdDSA', 'Ed25519'],
};

/** `Bearer <token>`: scheme case-insensitive, one token of visible ASCII characters. */
const bearerCredentials = /^bearer +([\x21-\x7e]+) *$/i;
const bearerScheme = /^bearer(?: |$)/i;

/** The key set could not be fetched: not the client's doing, and its token may well be valid. */
export const KEYS_UNAVAILABLE = 'The keys that verify tokens could not be fetched; retry later.';

/**
 * Authenticates `Authorization: Bearer <JWT>`. The token's signature is verified with the configured
 * key (`secret`, `publicKey`, or the key of its `kid` in the key set at `jwksUri`), its algorithm must be
 * one of `algorithms`, and its `exp` (required), `nbf`, `iss` and `aud` are checked; the claims (or what
 * `user(claims, ctx)` makes of them) become `ctx.state.user`.
 *
 * A request without a bearer token is refused with the plain challenge `WWW-Authenticate: Bearer`; one
 * whose token is refused gets `Bearer error="invalid_token", error_description="…"` (RFC 6750). When the
 * key set cannot be fetched, the request answers 503 with `Retry-After` (its token may be valid).
 *
 * @example
 * ```ts
 * const jwt = new JwtAuthentication({
 *   jwksUri: 'https://login.example.com/.well-known/jwks.json',
 *   algorithms: ['RS256'],
 *   issuer: 'https://login.example.com/',
 *   audience: 'blog-api',
 *   user: (claims) => ({ id: claims.sub, roles: claims.roles, scope: claims.scope }),
 * });
 * class PostView extends ResourceView {
 *   resource = PostResource;
 *   methods = [methods.List, methods.Create];
 *   authenticationMethods = [jwt];
 *   permissions = { List: allow, Create: scope('posts:write') };
 * }
 * ```
 */
export class JwtAuthentication<User = JWTPayload> extends AuthenticationBase {
  override scheme: string;
  /** The accepted algorithms, as configured. */
  readonly algorithms: readonly JwtAlgorithm[];
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly toUser: ((claims: JWTPayload, ctx: RequestContext) => MaybePromise<unknown>) | undefined;
  /** Why the token of a request was refused (read by `challenge`). */
  private readonly refusals = new WeakMap<RequestContext, Refusal>();

  constructor(options: JwtOptions<User>) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('JwtAuthentication needs options: { secret | publicKey | jwksUri, algorithms: [...] }.');
    }
    const sources = (['secret', 'publicKey', 'jwksUri'] as const).filter((name) => options[name] !== undefined);
    if (sources.length !== 1) {
      throw new TypeError(`JwtAuthentication needs exactly one of secret, publicKey or jwksUri (got ${sources.length === 0 ? 'none' : sources.join(', ')}).`);
    }
    this.algorithms = checkAlgorithms(options.algorithms);
    if (options.secret !== undefined) this.key = secretKey(options.secret, this.algorithms);
    else if (options.publicKey !== undefined) this.key = publicKey(options.publicKey, this.algorithms);
    else this.key = remoteKeySet(options, this.algorithms);

    const clockTolerance = options.clockToleranceSec ?? 0;
    if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
      throw new TypeError(`JwtAuthentication: clockToleranceSec must be a number of seconds ≥ 0 (got ${String(clockTolerance)}).`);
    }
    this.verifyOptions = {
      algorithms: [...this.algorithms],
      clockTolerance,
      requiredClaims: ['exp'],
      ...(options.issuer !== undefined ? { issuer: checkNames(options.issuer, 'issuer') } : {}),
      ...(options.audience !== undefined ? { audience: checkNames(options.audience, 'audience') } : {}),
    };
    if (options.user !== undefined && typeof options.user !== 'function') throw new TypeError('JwtAuthentication: user must be a function (claims, ctx) => user.');
    this.toUser = options.user;
    this.scheme = 'Bearer';
    if (options.realm !== undefined) {
      const realm = checkHeaderText(options.realm, 'JwtAuthentication: realm');
      this.scheme = `Bearer realm="${realm.replace(/["\\]/g, '\\$&')}"`;
    }
  }

  async authorized(ctx: RequestContext): Promise<boolean> {
    const header = ctx.get('Authorization');
    if (!bearerScheme.test(header)) return false; // no bearer token: the plain challenge
    const token = bearerCredentials.exec(header)?.[1];
    if (token === undefined) return this.refuse(ctx, 'malformed');
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, this.key as Parameters<typeof jwtVerify>[1], this.verifyOptions)).payload;
    } catch (error) {
      if (error instanceof KeySetUnavailable) throw new HttpError(503, KEYS_UNAVAILABLE, { 'Retry-After': '5' });
      const refusal = refusalOf(error);
      if (refusal === undefined) throw error;
      return this.refuse(ctx, refusal);
    }
    const user: unknown = this.toUser ? await this.toUser(claims, ctx) : claims;
    if (!user) return this.refuse(ctx, 'refused');
    (ctx.state as Record<string, unknown>).user = user;
    return true;
  }

  /** `Bearer` for a request without a token; `Bearer error="invalid_token", …` for one whose token was refused. */
  override challenge(ctx: RequestContext): string {
    const refusal = this.refusals.get(ctx);
    if (refusal === undefined) return this.scheme;
    const separator = this.scheme === 'Bearer' ? ' ' : ', ';
    return `${this.scheme}${separator}error="invalid_token", error_description="${reasons[refusal]}"`;
  }

  private refuse(ctx: RequestContext, refusal: Refusal): false {
    this.refusals.set(ctx, refusal);
    return false;
  }
}

/** The key set at `jwksUri` could not be fetched (network, timeout, not a 200, not a key set). */
class KeySetUnavailable extends Error {}

/** A jose error → why the token is refused; `undefined` for anything else (a bug: 500). */
function refusalOf(error: unknown): Refusal | undefined {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'notYetValid';
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'exp' && error.reason === 'missing') return 'noExpiry';
    return 'claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknownKey';
  // Anything else jose says about the token (bad encoding, not JSON, unsupported header, unusable key for it).
  if (error instanceof errors.JOSEError) return 'malformed';
  return undefined;
}

function checkAlgorithms(algorithms: unknown): JwtAlgorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('JwtAuthentication: algorithms is required: the list of accepted algorithms, e.g. [\'RS256\'].');
  }
  for (const algorithm of algorithms) {
    if (typeof algorithm === 'string' && algorithm.toLowerCase() === 'none') throw new TypeError('JwtAuthentication: the algorithm "none" (unsigned tokens) is never accepted.');
    if (typeof algorithm !== 'string' || !knownAlgorithms.has(algorithm)) {
      throw new TypeError(`JwtAuthentication: unknown algorithm ${JSON.stringify(algorithm)} (known: ${[...knownAlgorithms].join(', ')}).`);
    }
  }
  return [...new Set(algorithms as JwtAlgorithm[])];
}

function secretKey(secret: string | Uint8Array, algorithms: readonly JwtAlgorithm[]): Uint8Array {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret instanceof Uint8Array ? secret : undefined;
  if (bytes === undefined) throw new TypeError('JwtAuthentication: secret must be a string or a Uint8Array.');
  for (const algorithm of algorithms) {
    const minimum = hmacBytes[algorithm];
    if (minimum === undefined) throw new TypeError(`JwtAuthentication: a secret verifies HS256, HS384 or HS512 tokens only, not ${algorithm} (use publicKey or jwksUri).`);
    if (bytes.length < minimum) throw new TypeError(`JwtAuthentication: ${algorithm} needs a secret of at least ${minimum} bytes (got ${bytes.length}).`);
  }
  return Uint8Array.from(bytes); // a copy: later changes to the caller's buffer do not change the key
}

function publicKey(input: JwtPublicKey, algorithms: readonly JwtAlgorithm[]): KeyObject {
  let key: KeyObject;
  try {
    key = toPublicKeyObject(input);
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('JwtAuthentication')) throw error;
    throw new TypeError(`JwtAuthentication: publicKey is not a usable public key (${(error as Error).message}).`, { cause: error });
  }
  const kind = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : key.asymmetricKeyType;
  const fitting = algorithmsOfKey[kind ?? ''] ?? [];
  const misfits = algorithms.filter((algorithm) => !fitting.includes(algorithm));
  if (misfits.length > 0) {
    throw new TypeError(
      `JwtAuthentication: a ${kind ?? 'unknown'} public key cannot verify ${misfits.join(', ')} tokens${fitting.length > 0 ? ` (it verifies ${fitting.join(', ')})` : ''}.`,
    );
  }
  if (key.asymmetricKeyType?.startsWith('rsa') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TypeError('JwtAuthentication: RSA keys must have at least 2048 bits.');
  }
  return key;
}

function toPublicKeyObject(input: JwtPublicKey): KeyObject {
  if (typeof input === 'string') {
    if (/PRIVATE KEY-----/.test(input)) throw new TypeError('JwtAuthentication: publicKey is a private key; give its public half.');
    return createPublicKey(input);
  }
  const key = input instanceof KeyObject ? input : isCryptoKey(input) ? KeyObject.from(input as webcrypto.CryptoKey) : undefined;
  if (key !== undefined) {
    if (key.type === 'private') throw new TypeError('JwtAuthentication: publicKey is a private key; give its public half.');
    if (key.type === 'secret') throw new TypeError('JwtAuthentication: publicKey is a secret key; use the secret option.');
    return key;
  }
  if (input !== null && typeof input === 'object') {
    const jwk = input as JWK;
    if (jwk.kty === 'oct') throw new TypeError('JwtAuthentication: publicKey is a secret key; use the secret option.');
    if (jwk.d !== undefined) throw new TypeError('JwtAuthentication: publicKey is a private key; give its public half.');
    return createPublicKey({ key: jwk as NodeJwk, format: 'jwk' });
  }
  throw new TypeError('JwtAuthentication: publicKey must be PEM text, a JWK, a KeyObject or a CryptoKey.');
}

/** A Web Crypto key (as jose tells them apart: not every Node version has a global `CryptoKey` class). */
function isCryptoKey(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object CryptoKey]';
}

function remoteKeySet(options: JwtOptions<unknown>, algorithms: readonly JwtAlgorithm[]): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(String(options.jwksUri));
  } catch {
    throw new TypeError(`JwtAuthentication: jwksUri must be an http(s) URL (got ${JSON.stringify(String(options.jwksUri))}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`JwtAuthentication: jwksUri must be an http(s) URL (got ${JSON.stringify(url.href)}).`);
  const secretAlgorithms = algorithms.filter((algorithm) => hmacBytes[algorithm] !== undefined);
  if (secretAlgorithms.length > 0) throw new TypeError(`JwtAuthentication: a key set verifies public-key algorithms only, not ${secretAlgorithms.join(', ')}.`);
  const seconds = (value: number | undefined, name: string, fallback: number) => {
    const chosen = value ?? fallback;
    if (typeof chosen !== 'number' || !Number.isFinite(chosen) || chosen < 0) throw new TypeError(`JwtAuthentication: ${name} must be a number of seconds ≥ 0 (got ${String(chosen)}).`);
    return Math.round(chosen * 1000);
  };
  const keySet = createRemoteJWKSet(url, {
    cooldownDuration: seconds(options.jwksCooldownSec, 'jwksCooldownSec', 30),
    cacheMaxAge: seconds(options.jwksCacheMaxAgeSec, 'jwksCacheMaxAgeSec', 600),
    timeoutDuration: seconds(options.jwksTimeoutSec, 'jwksTimeoutSec', 5),
  });
  // Errors about the token's key (no key with its kid) refuse the token; every other failure is the key
  // set's (unreachable, timeout, not a 200, not a key set): the token cannot be checked, so 503.
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      throw new KeySetUnavailable('JWKS fetch failed', { cause: error });
    }
  };
}

function checkNames(value: string | readonly string[], option: string): string | string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new TypeError(`JwtAuthentication: ${option} must be a non-empty string or a list of them.`);
  }
  return typeof value === 'string' ? value : [...list];
}
