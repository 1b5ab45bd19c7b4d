/**
 * The example's JSON Web Tokens: who signs them (HS256 with a secret), for whom (`iss`/`aud`), and a
 * way to mint one for a user — what an identity service would do for a real app.
 */
import { SignJWT } from 'jose';

/**
 * The secret of a local try-out: anyone who reads this file can mint tokens with it. Set
 * EXAMPLE_JWT_SECRET (at least 32 bytes) for anything else.
 */
export const DEV_JWT_SECRET = 'koa-mongorest-example-dev-secret--change-me';
export const JWT_ISSUER = 'koa-mongorest-example';
export const JWT_AUDIENCE = 'koa-mongorest-example-api';

/** The secret in use: EXAMPLE_JWT_SECRET, else the dev secret. */
export function jwtSecretFromEnv(): string {
  return process.env.EXAMPLE_JWT_SECRET ?? DEV_JWT_SECRET;
}

/** A token for the user `userId` (its `sub`) with the given scopes, valid for `expiresInSec` (default 1 h). */
export async function mintToken(userId: string, scopes: readonly string[] = [], options: { secret?: string; expiresInSec?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSec ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? jwtSecretFromEnv()));
}
