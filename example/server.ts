/**
 * `npm run example`: the blog API on http://127.0.0.1:3000/api/. The database is MONGODB_URI if set,
 * else one the test harness provisions (mongodb-memory-server, or FerretDB built on first use).
 */
import mongoose from 'mongoose';
import { resolveServer } from '../test/fixtures/server/resolve.js';
import { createApp } from './api.js';
import { jwtSecretFromEnv, mintToken } from './jwt.js';
import { defineModels } from './models.js';
import { seed } from './seed.js';

const port = Number(process.env.PORT ?? 3000);
// Writes need this key in an X-API-Key header. Set EXAMPLE_API_KEY for anything but a local try-out.
const apiKey = process.env.EXAMPLE_API_KEY ?? 'let-me-write';
// /api/users/me/ takes a JWT signed with this secret (HS256). Set EXAMPLE_JWT_SECRET (≥ 32 bytes) likewise.
const jwtSecret = jwtSecretFromEnv();
const database = await resolveServer();
console.log(`[example] database: ${database.label}`);
const connection = mongoose.createConnection(database.uri, {
  dbName: process.env.MONGODB_DB ?? 'koa_mongorest_example',
  serverSelectionTimeoutMS: 5000,
});
await connection.asPromise();
const models = defineModels(connection);
await Promise.all([models.User.init(), models.Post.init(), models.Media.init()]);
await seed(models);

const ada = await models.User.findOne({ email: 'ada@example.com' }).lean();
const demoToken = ada ? await mintToken(String(ada._id), ['profile:write'], { secret: jwtSecret }) : undefined;

const server = createApp(models, { apiKey, jwtSecret }).listen(port, '127.0.0.1', () => {
  console.log(`[example] blog API listening: try  curl http://127.0.0.1:${port}/api/posts/`);
  console.log(`[example] writes need the header  X-API-Key: ${apiKey}`);
  if (demoToken) console.log(`[example] Ada's token for /api/users/me/ (1 h, scope profile:write):  Authorization: Bearer ${demoToken}`);
  console.log('[example] mint others:  npm run -s example:token -- <user id> [scope ...]');
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`[example] ${signal}: stopping…`);
  server.close();
  await connection.close();
  await database.stop();
  console.log(
    database.kind === 'uri'
      ? '[example] stopped (the database at MONGODB_URI was left as it is).'
      : '[example] stopped; the temporary database server was shut down and its data removed.',
  );
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
