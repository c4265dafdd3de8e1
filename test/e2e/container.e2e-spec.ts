import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort } from '../support/postgres-process';
import { routeInventory } from '../support/route-inventory';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const run = promisify(execFile);

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped, split by stage. */
function dockerfileStages(text: string): { from: string; name?: string; instructions: Instruction[] }[] {
  const lines = text
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { from: string; name?: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
const stages = dockerfileStages(read('Dockerfile'));
const runtime = stages.at(-1)!;
const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);
const healthcheck = last('HEALTHCHECK')!.args;
/** The exec-form argv after HEALTHCHECK's options and `CMD`. */
const healthcheckArgv = JSON.parse(/\bCMD\s+(\[.*\])$/.exec(healthcheck)![1]) as string[];

describe('Dockerfile (read statically: no container runtime runs here)', () => {
  it('is multi-stage: a build stage with dev dependencies, a runtime stage with production dependencies and dist/', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const build = stages[0].instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(build).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    const installs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev /);
    expect(runtime.instructions).toContainEqual({ keyword: 'COPY', args: '--from=build /app/dist ./dist' });
  });

  it("takes Node from node:<version> images whose version is package.json's pinned runtime", () => {
    const arg = read('Dockerfile').match(/^ARG NODE_VERSION=(\S+)$/m)?.[1];
    expect(arg).toBe(packageJson.devDependencies.node);
    expect(stages.map((s) => s.from)).toEqual(['node:${NODE_VERSION}-bookworm-slim', 'node:${NODE_VERSION}-bookworm-slim']);
  });

  it('runs as a non-root user', () => {
    const user = last('USER')?.args;
    expect(user).toBe('node');
    // USER comes before CMD and HEALTHCHECK, after every install step.
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
  });

  it('starts with the same command as `npm start`', () => {
    expect(JSON.parse(last('CMD')!.args)).toEqual(packageJson.scripts.start.split(' '));
    expect(packageJson.scripts.start).toBe('sh scripts/start.sh');
  });

  it('checks health on the readiness probe, a route the application serves', () => {
    expect(healthcheck).toMatch(/^--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+ CMD /);
    expect(healthcheckArgv[0]).toBe('node');
    expect(healthcheckArgv[2]).toContain("'/health/ready'");
  });
});

describe('HEALTHCHECK command against the real service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('the path it probes is a route of the application', () => {
    expect(routeInventory(t.app).map((r) => r.key)).toContain('GET /health/ready');
  });

  it('exits 0 when the readiness probe answers 200', async () => {
    const port = new URL(t.baseUrl).port;
    // Exactly the command Docker runs, with the PORT the container sets.
    const result = await run(healthcheckArgv[0] === 'node' ? process.execPath : healthcheckArgv[0], healthcheckArgv.slice(1), { env: { PORT: port } });
    expect(result).toEqual({ stdout: '', stderr: '' });
  });

  it('exits non-zero when nothing answers', async () => {
    const port = String(await freePort());
    await expect(run(process.execPath, healthcheckArgv.slice(1), { env: { PORT: port } })).rejects.toMatchObject({ code: 1 });
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, Record<string, any>>;
  };
  const api = compose.services.api;

  it('starts PostgreSQL beside the service, and the service only once it is healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres']);
    expect(compose.services.postgres.image).toMatch(/^postgres:\d+/);
    expect(compose.services.postgres.healthcheck.test).toEqual(['CMD-SHELL', 'pg_isready -U tasks -d tasks']);
    expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('builds this Dockerfile, points DATABASE_URL at that PostgreSQL and migrates on start', () => {
    expect(api.build).toBe('.');
    expect(api.environment.DATABASE_URL).toMatch(/^postgres:\/\/tasks:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/tasks$/);
    expect(api.environment.MIGRATIONS_RUN_ON_START).toBe('true');
    expect(api.mem_limit).toBe('512m');
  });

  it('takes JWT_SECRET from the env file, never from compose.yaml, and keeps .env out of git and the image', () => {
    expect(api.env_file).toBe('.env');
    expect(JSON.stringify(compose)).not.toMatch(/JWT_SECRET/);
    expect(read('.env.example')).toMatch(/^JWT_SECRET=\S{32,}$/m);
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist', '.data']));
  });
});
