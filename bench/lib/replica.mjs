// A hot standby of the bench's throwaway PostgreSQL 15 (`BENCH_REPLICA=1`), and the /metrics
// counters the bench reads around each run (replica reads and fallbacks, retries by SQLSTATE).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE, PG_BIN } from './databases.mjs';
import { asPostgres, freePort, log, run, sleep } from './system.mjs';

/**
 * `pg_basebackup -R` from the primary `pg` (started by `startPostgres`: initdb's trust pg_hba.conf
 * lets 127.0.0.1 replicate, and PostgreSQL 15's defaults stream WAL) into `<pg.dir>/standby`,
 * started as a hot standby on a free loopback port. The service reads from it through
 * `DB_READ_REPLICA_URLS`; `waitForReplay()` returns once it holds everything the primary has
 * written (after seeding, so no read falls back because the rows are not replayed yet).
 */
export async function startStandby(pg) {
  const data = join(pg.dir, 'standby');
  const port = await freePort();
  run(
    ...asPostgres(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '-c', 'fast']),
  );
  run(
    ...asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(pg.dir, 'standby.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${pg.dir} -c listen_addresses=127.0.0.1 -c max_connections=300`,
      'start',
    ]),
  );
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
  const psql = (target, sql) => run(join(PG_BIN, 'psql'), [target, '-qAtc', sql]).trim();
  log(`hot standby of 127.0.0.1:${pg.port} on 127.0.0.1:${port} (data in ${data})`);
  return {
    port,
    pid,
    url,
    /** Waits (at most 60 s) until the standby has replayed the primary's current WAL position. */
    async waitForReplay() {
      const target = psql(pg.url, 'select pg_current_wal_insert_lsn()');
      for (let i = 0; i < 600; i++) {
        if (psql(url, `select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`) === 't') return;
        await sleep(100);
      }
      throw new Error(`the standby did not replay up to ${target} within 60 s`);
    },
    stop() {
      try {
        run(...asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']));
      } catch (error) {
        log(`could not stop the standby: ${error.message}`);
      }
    },
  };
}

/** Sums of the named counters in the service's /metrics (every label set added up). */
export async function metricSums(baseUrl, names) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] in sums) sums[match[1]] += Number(match[2]);
  }
  return sums;
}

/** The counters around one run: replica reads and fallbacks (read shapes), retries and exhausted retries (writes). */
export const RUN_COUNTERS = ['db_replica_reads_total', 'db_replica_fallbacks_total', 'db_retries_total', 'db_retries_exhausted_total'];

/** What happened between two `metricSums` readings. */
export function counterDelta(before, after) {
  return {
    replica_reads: after.db_replica_reads_total - before.db_replica_reads_total,
    replica_fallbacks: after.db_replica_fallbacks_total - before.db_replica_fallbacks_total,
    retries: after.db_retries_total - before.db_retries_total,
    retries_exhausted: after.db_retries_exhausted_total - before.db_retries_exhausted_total,
  };
}
