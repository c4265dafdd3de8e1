import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './postgres-process';

/** Debian's PostgreSQL 15: the replication pair is always these binaries, whatever server the suite targets. */
const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 primary and a hot standby streaming from it (`pg_basebackup -R`), on loopback
 * ports the OS hands out, data in one temporary folder removed by `stop()`. The read-replica tests
 * use it in every pass of `.ci/run`: streaming replication needs a server of the test's own (the
 * suite's target at `DATABASE_URL` is a single server), so it is Debian's `postgresql-15` even in
 * the pass on the embedded PostgreSQL 18. Tools run as `postgres` (`runuser` when root).
 */
export class ReplicationPair {
  private standbyRunning = false;
  private primaryRunning = false;

  private constructor(
    readonly dir: string,
    readonly primaryPort: number,
    readonly standbyPort: number,
  ) {}

  static async start(): Promise<ReplicationPair> {
    const dir = mkdtempSync(join(tmpdir(), 'tea-replicas-'));
    if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
    const pair = new ReplicationPair(dir, await freePort(), await freePort());
    try {
      // initdb's trust pg_hba.conf also lets local and 127.0.0.1 replication connections in.
      asPostgres('initdb', ['-D', pair.data('primary'), '--auth=trust', '-U', 'postgres', '--no-sync']);
      pair.pgCtl('primary', pair.primaryPort, 'start');
      pair.primaryRunning = true;
      asPostgres('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(pair.primaryPort),
        '-U',
        'postgres',
        '-D',
        pair.data('standby'),
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
      ]);
      pair.pgCtl('standby', pair.standbyPort, 'start');
      pair.standbyRunning = true;
    } catch (error) {
      pair.stop();
      throw error;
    }
    return pair;
  }

  primaryUrl(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.primaryPort}/${database}`;
  }

  standbyUrl(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.standbyPort}/${database}`;
  }

  /** Creates `name` on the primary and waits until the standby has replayed it. */
  async createDatabase(name: string): Promise<void> {
    await this.onPrimary((c) => c.query(`create database "${name}"`));
    await this.waitForReplay();
  }

  /** Waits (bounded) until the standby has replayed everything the primary has written so far. */
  async waitForReplay(timeoutMs = 20_000): Promise<void> {
    const target = await this.onPrimary(async (c) => (await c.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn')).rows[0].lsn);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const caught = await this.onStandby(
        async (c) => (await c.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [target])).rows[0].ok,
      );
      if (caught) return;
      if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pauses WAL replay on the standby: it stays up and answers, with data growing older. */
  pauseReplay(): Promise<void> {
    return this.onStandby(async (c) => void (await c.query('select pg_wal_replay_pause()')));
  }

  resumeReplay(): Promise<void> {
    return this.onStandby(async (c) => void (await c.query('select pg_wal_replay_resume()')));
  }

  /** Fast shutdown of the standby (its clients' connections are cut). */
  stopStandby(): void {
    if (!this.standbyRunning) return;
    this.standbyRunning = false;
    this.pgCtl('standby', this.standbyPort, 'stop');
  }

  /** Stops both servers and removes their data. */
  stop(): void {
    try {
      this.stopStandby();
    } finally {
      if (this.primaryRunning) {
        this.primaryRunning = false;
        this.pgCtl('primary', this.primaryPort, 'stop');
      }
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  async onPrimary<T>(fn: (c: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    return withClient(this.primaryUrl(database), fn);
  }

  async onStandby<T>(fn: (c: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    return withClient(this.standbyUrl(database), fn);
  }

  private data(server: 'primary' | 'standby'): string {
    return join(this.dir, server);
  }

  private pgCtl(server: 'primary' | 'standby', port: number, action: 'start' | 'stop'): void {
    // A standby cancels a query that holds back replay after 500 ms (default 30 s): the recovery
    // conflict test waits that long.
    const standby = server === 'standby' ? ' -c max_standby_streaming_delay=500' : '';
    const args =
      action === 'start'
        ? [
            '-D',
            this.data(server),
            '-l',
            join(this.dir, `${server}.log`),
            '-w',
            '-t',
            '60',
            '-o',
            `-p ${port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c fsync=off${standby}`,
            'start',
          ]
        : ['-D', this.data(server), '-m', 'fast', '-w', 'stop'];
    asPostgres('pg_ctl', args);
  }
}

function asPostgres(tool: string, args: string[]): void {
  const command = join(PG_BIN, tool);
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' });
  else execFileSync(command, args, { stdio: 'ignore' });
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
