import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { Client } from 'pg';

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Debian's PostgreSQL 15, which CI's second pass targets (`DATABASE_URL`). */
const DEBIAN_PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * Which server a test that stops and starts its own PostgreSQL runs: the suite's target. When the
 * suite runs against a server at `DATABASE_URL` (CI's pass on Debian's PostgreSQL 15) and Debian's
 * binaries are installed, that version; otherwise the embedded one (18).
 */
export function ownServerKind(): 'debian-15' | 'embedded' {
  const root = process.getuid?.() === 0;
  return process.env.DATABASE_URL && existsSync(join(DEBIAN_PG_BIN, 'pg_ctl')) && (root || userInfo().username === 'postgres') ? 'debian-15' : 'embedded';
}

/**
 * A PostgreSQL server of the suite's target version (see `ownServerKind`) that a test can stop and
 * start again on the same data folder and port, while an app keeps running against it.
 */
export class PostgresProcess {
  private child: ChildProcess | undefined;
  private debianRunning = false;
  readonly kind = ownServerKind();

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  url(database: string): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    if (this.kind === 'debian-15') return this.startDebian();
    const child = spawn(process.execPath, [resolve(__dirname, 'embedded-postgres-process.mjs'), this.dataDir, String(this.port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    await new Promise<void>((ready, fail) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('ready\n')) ready();
      });
      child.once('exit', (code) => fail(new Error(`embedded PostgreSQL exited with ${code} before it was ready`)));
    });
  }

  async stop(): Promise<void> {
    if (this.kind === 'debian-15') return this.stopDebian();
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    this.child = undefined;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.stdin!.end('stop\n');
    await exited;
  }

  /** Runs a PostgreSQL tool as the `postgres` user (the server refuses to run as root). */
  private asPostgres(tool: string, args: string[]): void {
    const command = join(DEBIAN_PG_BIN, tool);
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' });
    else execFileSync(command, args, { stdio: 'ignore' });
  }

  private startDebian(): Promise<void> {
    const dir = resolve(this.dataDir);
    const data = join(dir, 'data');
    if (!existsSync(join(data, 'PG_VERSION'))) {
      mkdirSync(dir, { recursive: true });
      if (process.getuid?.() === 0)
        chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
      this.asPostgres('initdb', ['-D', data, '--auth=trust', '-U', 'postgres']);
    }
    // Fast shutdown on stop, as the embedded variant; -w waits until it accepts connections.
    this.asPostgres('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`,
      'start',
    ]);
    this.debianRunning = true;
    return Promise.resolve();
  }

  private stopDebian(): Promise<void> {
    if (!this.debianRunning) return Promise.resolve();
    this.debianRunning = false;
    this.asPostgres('pg_ctl', ['-D', join(resolve(this.dataDir), 'data'), '-m', 'fast', '-w', 'stop']);
    return Promise.resolve();
  }

  async createDatabase(name: string): Promise<void> {
    const admin = new Client({ connectionString: this.url('postgres') });
    await admin.connect();
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) await admin.query(`create database "${name}"`);
    } finally {
      await admin.end();
    }
  }
}
