import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jwtVerify } from 'jose';
import { freePort } from '../support/postgres-process';
import { testDatabaseUrl } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/tokens';

const ROOT = resolve(__dirname, '../..');
const REGISTER_TS = join(ROOT, 'test/support/register-ts.js');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** `node src/main.ts` as its own process (swc on load, no build), with only the given settings. */
function startService(env: Record<string, string>): Run {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, ['--require', REGISTER_TS, join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exit = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs a start that must fail; returns its one stderr line and its fatal JSON log line. */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; line: string; fatal: Record<string, unknown> }> {
  const run = startService(env);
  const code = await run.exit;
  const lines = run
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const fatal = run
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.level === 'fatal');
  expect(lines).toHaveLength(1);
  expect(fatal).toBeDefined();
  return { code, line: lines[0], fatal: fatal! };
}

/** Something else listening on `port` that never answers; `close()` drops its connections. */
async function occupy(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return {
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

describe('start-up failures name what failed, where, and the fix (the real process)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tea-startup-'));
  // As root, the embedded PostgreSQL runs as `postgres`, which must reach the data folder.
  chmodSync(work, 0o755);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a PORT in use is reported before any database starts, naming PORT', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    const dataDir = join(work, 'never-started');
    try {
      const { code, line, fatal } = await failedStart({ PORT: String(port), EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
      expect(code).toBe(1);
      expect(line).toBe(
        `start-up failed: port ${port} is already in use by another process (PORT=${port} on 127.0.0.1): stop that process (\`lsof -i :${port}\` names it), or set PORT to a free port`,
      );
      expect(fatal).toMatchObject({
        what: `port ${port} is already in use by another process`,
        where: `PORT=${port} on 127.0.0.1`,
        fix: expect.stringContaining('set PORT to a free port'),
      });
      // Checked first: no embedded PostgreSQL was initialised.
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    } finally {
      await blocker.close();
    }
  });

  it('an invalid setting names the variable on stderr too', async () => {
    const { code, line } = await failedStart({ PORT: 'eighty', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: testDatabaseUrl() });
    expect(code).toBe(2);
    expect(line).toMatch(/^start-up failed: invalid configuration: PORT: .*Fix the variables named \(docs\/settings\.md\)\.$/);
  });

  it.each([
    [
      'ECONNREFUSED',
      async () => `postgres://postgres:postgres@127.0.0.1:${await freePort()}/task_execution`,
      /^nothing accepts connections there \(DATABASE_URL → postgres@127\.0\.0\.1:\d+\/task_execution\): start PostgreSQL there, or fix the host and port in DATABASE_URL/,
    ],
    [
      'ENOTFOUND',
      async () => 'postgres://postgres:postgres@no-such-host.invalid:5432/task_execution',
      /^the host name "no-such-host\.invalid" does not resolve \(DATABASE_URL → postgres@no-such-host\.invalid:5432\/task_execution\): fix the host in DATABASE_URL$/,
    ],
  ])('DATABASE_URL %s: the host, the database and what to do', async (_code, url, expected) => {
    const { code, line } = await failedStart({ PORT: String(await freePort()), JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: await url() });
    expect(code).toBe(1);
    expect(line.replace(/^start-up failed: /, '')).toMatch(expected);
    expect(line).not.toContain('postgres:postgres@');
  });

  describe('beside a running service (embedded PostgreSQL in its own folder)', () => {
    const dataDir = join(work, 'data', 'postgres');
    let first: Run;
    let port: number;
    let pgPort: number;

    beforeAll(async () => {
      // A secret from before it moved into the data folder: it must be moved in, not replaced.
      mkdirSync(join(work, 'data'), { recursive: true });
      writeFileSync(join(work, 'data', 'dev-jwt-secret'), 'an-old-development-secret-of-more-than-32-chars\n', { mode: 0o600 });
      port = await freePort();
      pgPort = await freePort();
      first = startService({ PORT: String(port), EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
      const deadline = Date.now() + 60_000;
      while (!first.stdout().includes('═\n\n') && first.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (!first.stdout().includes('Development admin token')) throw new Error(`the first service did not start: ${first.stderr()}`);
    }, 90_000);
    afterAll(async () => {
      first?.child.kill('SIGTERM');
      await first?.exit;
    });

    it('prints the admin token in a framed block that says how to get another', () => {
      const block = /\n(═{8} Development admin token \(valid 7 days\) ═+)\n([\w-]+\.[\w-]+\.[\w-]+)\n(Swagger UI: .*)\n(Another one.*)\n(═+)\n/.exec(
        first.stdout(),
      );
      expect(block).not.toBeNull();
      expect(block![3]).toBe(
        `Swagger UI: http://127.0.0.1:${port}/docs → Authorize → paste it. curl: -H "Authorization: Bearer <token>" http://127.0.0.1:${port}/api/v1/...`,
      );
      expect(block![4]).toBe('Another one, any time (the service keeps running): npm run token -- admin <your-name> [ttl_seconds]');
    });

    it('keeps the development secret inside the data folder, moved in from beside it', async () => {
      const file = join(dataDir, 'dev-jwt-secret');
      expect(readFileSync(file, 'utf8').trim()).toBe('an-old-development-secret-of-more-than-32-chars');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(join(work, 'data', 'dev-jwt-secret'))).toBe(false);
      const token = /\n([\w-]+\.[\w-]+\.[\w-]+)\n/.exec(first.stdout())![1];
      const { payload } = await jwtVerify(token, new TextEncoder().encode('an-old-development-secret-of-more-than-32-chars'));
      expect([payload.sub, payload.scope, (payload.exp ?? 0) - (payload.iat ?? 0)]).toEqual(['dev-admin', 'admin', 7 * 86_400]);
    });

    it('npm run token signs with that secret without building, and the running service accepts it', async () => {
      const started = Date.now();
      const run = spawnSync('npm', ['run', '-s', 'token', '--', 'admin', 'newcomer', '120'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, EMBEDDED_PG_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(run.status).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/task-instances/0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a`, {
        headers: { authorization: `Bearer ${run.stdout.trim()}` },
      });
      expect(res.status).toBe(404);
      // No `nest build`: dist/ is left alone under a running service.
      expect(existsSync(join(ROOT, 'dist')) ? statSync(join(ROOT, 'dist')).mtimeMs : 0).toBeLessThan(started);
    });

    it('a second start with the same PORT names the service already answering there', async () => {
      const { code, line } = await failedStart({ PORT: String(port), EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
      expect(code).toBe(1);
      expect(line).toBe(
        `start-up failed: port ${port} is already in use: another task-execution-api answers there (a second \`npm start\`?) (PORT=${port} on 127.0.0.1): stop that process (\`lsof -i :${port}\` names it), or set PORT to a free port`,
      );
    });

    it('a second start in the same folder on another PORT names the PostgreSQL holding the folder', async () => {
      const pid = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
      const { code, line, fatal } = await failedStart({
        PORT: String(await freePort()),
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      expect(code).toBe(1);
      expect(line).toBe(
        `start-up failed: the embedded PostgreSQL data folder is in use by another PostgreSQL (pid ${pid}), most likely another \`npm start\` in this folder (EMBEDDED_PG_DATA_DIR=${dataDir}): stop the other service (Ctrl-C in its terminal), or give this one its own EMBEDDED_PG_DATA_DIR, EMBEDDED_PG_PORT and PORT`,
      );
      expect(fatal.where).toBe(`EMBEDDED_PG_DATA_DIR=${dataDir}`);
    });

    it('another folder on the same EMBEDDED_PG_PORT names that port', async () => {
      const { code, line } = await failedStart({ PORT: String(await freePort()), EMBEDDED_PG_DATA_DIR: join(work, 'other'), EMBEDDED_PG_PORT: String(pgPort) });
      expect(code).toBe(1);
      expect(line).toContain(`port ${pgPort} is already in use by another process (EMBEDDED_PG_PORT=${pgPort} on 127.0.0.1)`);
      expect(line).toContain('set EMBEDDED_PG_PORT to a free port');
    });

    it.each([
      [
        '3D000',
        'postgres:postgres',
        'no_such_db',
        'database "no_such_db" does not exist',
        "create it (createdb -h 127.0.0.1 -p PG -U postgres no_such_db) or put an existing database's name in DATABASE_URL",
      ],
      [
        '28P01',
        'postgres:wrong-password',
        'task_execution',
        'PostgreSQL refused the password of user "postgres"',
        'fix the user name or password in DATABASE_URL',
      ],
    ])('DATABASE_URL %s: the host, the database and what to do', async (_code, credentials, database, what, fix) => {
      const url = `postgres://${credentials}@127.0.0.1:${pgPort}/${database}`;
      const { code, line, fatal } = await failedStart({ PORT: String(await freePort()), JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: url });
      expect(code).toBe(1);
      const expectedFix = fix.replace('PG', String(pgPort));
      expect(line).toBe(`start-up failed: ${what} (DATABASE_URL → postgres@127.0.0.1:${pgPort}/${database}): ${expectedFix}`);
      expect(fatal).toMatchObject({ what, where: `DATABASE_URL → postgres@127.0.0.1:${pgPort}/${database}`, fix: expectedFix });
      expect(JSON.stringify(fatal)).not.toContain('wrong-password');
    });
  });
});
