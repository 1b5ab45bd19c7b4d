/**
 * The benchmark's database: the test harness's (test/fixtures/server/resolve.ts), except that FerretDB runs
 * over a throw-away PostgreSQL cluster wherever PostgreSQL is installed. Over SQLite, FerretDB answers
 * updates at a few per second for its first minutes and scans the collection for every filter, so the
 * database hides the cost the benchmark is there to show; KOA_MONGOREST_FERRETDB_BACKEND=sqlite still
 * chooses SQLite (and MONGODB_URI any server).
 */
import { resolveServer, type ResolvedServer } from '../test/fixtures/server/resolve.js';
import { postgresBinDir } from '../test/fixtures/server/postgres.js';

export function resolveBenchServer(log: (line: string) => void): Promise<ResolvedServer> {
  return resolveServer(log, { ferretBackend: postgresBinDir() ? 'postgresql' : 'sqlite' });
}
