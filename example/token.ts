/**
 * `npm run -s example:token -- <user id> [scope ...]`: prints a JWT the example app accepts for that user
 * (signed with EXAMPLE_JWT_SECRET, else the dev secret; valid for an hour), e.g. with `profile:write`
 * to change the user's own profile through `/api/users/me/`.
 */
import { mintToken } from './jwt.js';

const [userId, ...scopes] = process.argv.slice(2);
if (userId === undefined || !/^[0-9a-f]{24}$/.test(userId)) {
  console.error('usage: npm run -s example:token -- <user id (24 hex digits)> [scope ...]');
  process.exit(2);
}
console.log(await mintToken(userId, scopes));
