import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/postgres-process';
import { testDatabaseUrl } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/tokens';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);
/** What `npm start` runs (package.json), and the image's CMD (container.e2e-spec.ts). */
const START = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');

interface Started {
  child: ChildProcess;
  output: () => string;
  port: number;
  /** Milliseconds from spawning the start script to the service's "listening" line. */
  readyMs: number;
}

/**
 * `npm start`, in a copy of the repository's build inputs (its own dist/, the real node_modules),
 * so the test can edit sources and watch rebuilds without touching the working tree.
 */
describe('npm start (scripts/start.sh): builds only when dist/ is stale, starts with the memory defaults', () => {
  let dir: string;
  const ROOT_CONTROLLER = 'src/common/http/root.controller.ts';
  /** A build on a busy 2-core machine took 45 s once; jest's default of 60 s is too tight. */
  const BUILDS = 240_000;
  let running: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tea-start-'));
    for (const entry of [
      'src',
      'scripts',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'mikro-orm.config.ts',
      'package.json',
      'package-lock.json',
    ]) {
      cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(() => {
    // A test that failed before stopping its service must not leave it running.
    if (running && running.exitCode === null) running.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<Started> {
    const port = await freePort();
    const began = Date.now();
    const child = spawn(START[0], START.slice(1), {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: testDatabaseUrl(),
        JWT_SECRET: TEST_JWT_SECRET,
        MIGRATIONS_RUN_ON_START: 'false',
        HOST: '127.0.0.1',
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let text = '';
    child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (text.includes('listening on http')) return resolve();
        if (child.exitCode !== null) return reject(new Error(`start script exited ${child.exitCode}:\n${text}`));
        setTimeout(check, 20);
      };
      check();
    });
    return { child, output: () => text, port, readyMs: Date.now() - began };
  }

  async function stop(s: Started): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
    s.child.kill('SIGTERM');
    return exited;
  }

  const index = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).json();
  const mainJs = () => join(dir, 'dist/src/main.js');

  it(
    'first start: builds dist/, stamps it and serves it',
    async () => {
      const s = await start();
      try {
        expect(s.output()).toContain('building: dist/ has not been built');
        expect(JSON.parse(readFileSync(join(dir, 'dist/.build-stamp.json'), 'utf8'))).toEqual({
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          files: expect.any(Number),
          built_at: expect.any(String),
        });
        expect(await index(s.port)).toEqual({ service: 'task-execution-api', docs: '/docs', openapi: '/openapi.json', health: '/health/ready' });
      } finally {
        expect(await stop(s)).toBe(0);
      }
    },
    BUILDS,
  );

  it('the script execs Node itself (it gets SIGTERM) with the memory defaults', async () => {
    const s = await start();
    try {
      // The spawned pid is Node's: the shell replaced itself.
      const argv = readFileSync(`/proc/${s.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv.slice(1)).toEqual(['dist/src/main.js']);
      const environ = readFileSync(`/proc/${s.child.pid}/environ`, 'utf8').split('\0');
      expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'NODE_OPTIONS=--max-semi-space-size=32 --max-old-space-size=256']));
    } finally {
      expect(await stop(s)).toBe(0);
    }
  });

  it('a later start with unchanged sources does not build', async () => {
    const before = statSync(mainJs()).mtimeMs;
    const s = await start();
    try {
      expect(s.output()).not.toContain('building');
      expect(statSync(mainJs()).mtimeMs).toBe(before);
      // The times (docs/operations.md) are measured, not asserted: on a shared machine a start
      // without a build varies from 1.5 s to 7 s; the absence of a build is what is asserted.
      expect(s.readyMs).toBeGreaterThan(0);
    } finally {
      expect(await stop(s)).toBe(0);
    }
  });

  it(
    'a changed source is rebuilt before the service starts, and the new code is what it serves',
    async () => {
      const file = join(dir, ROOT_CONTROLLER);
      // Both the literal and its type (ServiceIndex), or the build fails.
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll("service: 'task-execution-api'", "service: 'rebuilt-by-npm-start'"));
      const s = await start();
      try {
        expect(s.output()).toContain('building: the sources changed since dist/ was built');
        expect(await index(s.port)).toEqual({ service: 'rebuilt-by-npm-start', docs: '/docs', openapi: '/openapi.json', health: '/health/ready' });
      } finally {
        expect(await stop(s)).toBe(0);
      }
    },
    BUILDS,
  );

  it('"current" is decided by content: a touched file is current, an edited one with its old mtime is stale', async () => {
    const check = () =>
      run(process.execPath, ['scripts/dist-stamp.mjs', 'check'], { cwd: dir }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const file = join(dir, ROOT_CONTROLLER);
    const { mtime } = statSync(file);
    utimesSync(file, new Date(), new Date());
    expect(await check()).toEqual({ code: 0, stdout: 'dist/ is current\n' });
    writeFileSync(file, `${readFileSync(file, 'utf8')}// edited\n`);
    utimesSync(file, mtime, mtime);
    expect(await check()).toEqual({ code: 1, stdout: 'the sources changed since dist/ was built\n' });
  });

  it(
    'a build that fails serves nothing, not the old dist/',
    async () => {
      const file = join(dir, ROOT_CONTROLLER);
      writeFileSync(file, readFileSync(file, 'utf8').replace("docs: '/docs'", 'docs: 42'));
      await expect(start()).rejects.toThrow(/start script exited 1:[\s\S]*build failed \(nest build exited 1\): dist\/ is not served/);
      expect(existsSync(join(dir, 'dist/.build-stamp.json'))).toBe(false);
    },
    BUILDS,
  );
});
