// A throwaway PostgreSQL 15 (Debian's postgresql-15) and a PgBouncer in transaction pooling mode
// in front of it, both on private loopback ports under one temporary folder.
import { chownSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asPostgres, ensureDebianPackage, freePort, IS_ROOT, log, run, sleep, spawnLogged, waitForExit } from './system.mjs';

export const PG_BIN = process.env.BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const PGBOUNCER = process.env.BENCH_PGBOUNCER ?? '/usr/sbin/pgbouncer';
export const DATABASE = 'bench';

export function ensureDatabaseTools() {
  ensureDebianPackage(join(PG_BIN, 'postgres'), 'postgresql-15');
  ensureDebianPackage(join(PG_BIN, 'pgbench'), 'postgresql-15');
  ensureDebianPackage(PGBOUNCER, 'pgbouncer');
}

/**
 * Starts PostgreSQL with its defaults (durable commits: fsync and synchronous_commit on) except
 * max_connections, so that pgbench's 64 clients and the services' pools fit side by side.
 */
export async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'tea-bench-'));
  if (IS_ROOT) chownSync(dir, Number(run('id', ['-u', 'postgres']).trim()), Number(run('id', ['-g', 'postgres']).trim()));
  const data = join(dir, 'data');
  const port = await freePort();
  run(...asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']));
  run(
    ...asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`,
      'start',
    ]),
  );
  const directUrl = `postgres://postgres@127.0.0.1:${port}`;
  run(join(PG_BIN, 'psql'), [`${directUrl}/postgres`, '-qAtc', `create database ${DATABASE}`]);
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  log(`PostgreSQL ${run(join(PG_BIN, 'postgres'), ['--version']).trim().split(' ').pop()} on 127.0.0.1:${port} (data in ${data})`);
  return {
    dir,
    port,
    pid,
    url: `${directUrl}/${DATABASE}`,
    stop() {
      try {
        run(...asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']));
      } catch (error) {
        log(`could not stop PostgreSQL: ${error.message}`);
      }
    },
  };
}

/**
 * PgBouncer in transaction pooling mode: a server connection is lent for one transaction only,
 * so the service must keep no session state across transactions (it keeps none: SET LOCAL only,
 * no prepared statements). Migrations and their advisory lock use the direct URL.
 */
export async function startPgBouncer(pg, { poolSize, port: fixedPort }) {
  // A fixed port restarts the same PgBouncer where clients expect it (the chaos suite).
  const port = fixedPort ?? (await freePort());
  const ini = join(pg.dir, 'pgbouncer.ini');
  const users = join(pg.dir, 'userlist.txt');
  writeFileSync(users, '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `${DATABASE} = host=127.0.0.1 port=${pg.port} dbname=${DATABASE}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${poolSize}`,
      'server_reset_query =',
      // After a failed login to PostgreSQL (it is restarting), try again after 1 s, not the default 15 s.
      'server_login_retry = 1',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(pg.dir, 'pgbouncer.log')}`,
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  if (IS_ROOT) run('chown', ['postgres', ini, users]);
  const logFd = openSync(join(pg.dir, 'pgbouncer.out'), 'a');
  const child = spawnLogged(...asPostgres(PGBOUNCER, [ini]), { env: process.env, logFd });
  // Ready when it answers; runuser's child is pgbouncer itself, found through /proc below.
  const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
  for (let i = 0; ; i++) {
    try {
      run(join(PG_BIN, 'psql'), [url, '-qAtc', 'select 1']);
      break;
    } catch (error) {
      if (i > 50) throw new Error(`PgBouncer did not start: ${readFileSync(join(pg.dir, 'pgbouncer.out'), 'utf8')}`, { cause: error });
      await sleep(100);
    }
  }
  log(`PgBouncer ${run(PGBOUNCER, ['--version']).split('\n')[0].split(' ').pop()} on 127.0.0.1:${port}, pool_mode=transaction, default_pool_size=${poolSize}`);
  return {
    port,
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 5000);
    },
  };
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
