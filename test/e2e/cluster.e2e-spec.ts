import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTaskInstance, http, uniqueId } from '../support/test-app';
import { freePort } from '../support/postgres-process';
import { testDatabaseUrl } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/tokens';

const ROOT = join(__dirname, '../..');

function workerPids(primary: number): number[] {
  try {
    return readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resolves once `predicate` holds for the output so far; bounded by jest's test timeout. */
async function waitFor(output: () => string, predicate: (text: string) => boolean): Promise<void> {
  while (!predicate(output())) await new Promise((r) => setTimeout(r, 100));
}

/** GET on a new TCP connection (no keep-alive), so that the primary hands it to the next worker. */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** The sum of `http_requests_total` over the series of one route template. */
function requestsOf(metrics: string, route: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith('http_requests_total{') && line.includes(`route="${route}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const listening = (text: string) => (text.match(/worker \d+ listening on port/g) ?? []).length;

describe('WEB_CONCURRENCY=2: node:cluster primary and workers (src/main.ts as deployed)', () => {
  let primary: ChildProcess;
  let out = '';
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    primary = spawn(process.execPath, ['--require', join(ROOT, 'test/support/register-ts.js'), join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        WEB_CONCURRENCY: '2',
        DATABASE_URL: testDatabaseUrl(),
        JWT_SECRET: TEST_JWT_SECRET,
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    primary.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    primary.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      () => out,
      (t) => listening(t) >= 2,
    );
  });

  afterAll(async () => {
    if (primary.exitCode === null && primary.signalCode === null) {
      primary.kill('SIGKILL');
      for (const pid of workerPids(primary.pid!)) process.kill(pid, 'SIGKILL');
    }
  });

  it('migrates once in the primary and starts two workers that skip migrations and serve the shared port', async () => {
    // Only the primary reports on migrations; a worker that migrated would report too.
    expect(out.match(/schema is up to date|applied migrations/g)).toHaveLength(1);
    expect(workerPids(primary.pid!)).toHaveLength(2);
    const ti = await createTaskInstance(baseUrl, { dag_id: uniqueId('cluster'), run_id: 'r1', task_id: 't' });
    const writes = await Promise.all(Array.from({ length: 8 }, (_, i) => http(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { i })));
    expect(writes.map((r) => r.status)).toEqual(Array(8).fill(201));
  });

  it('answers /metrics with the sum over both workers, whichever worker the scrape lands on', async () => {
    const scrape = async () => {
      const res = await getOnNewConnection(`${baseUrl}/metrics`);
      expect(res.status).toBe(200);
      return requestsOf(res.body, '/health/live');
    };
    const before = await scrape();
    // Twelve requests on twelve connections: the primary deals them out to both workers.
    for (let i = 0; i < 12; i++) expect((await getOnNewConnection(`${baseUrl}/health/live`)).status).toBe(200);
    // Four scrapes, also on new connections, so both workers answer some: each sees all twelve.
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await scrape());
    expect(seen).toEqual(Array(4).fill(before + 12));
  });

  it('replaces a worker that dies', async () => {
    const [victim, survivor] = workerPids(primary.pid!);
    process.kill(victim, 'SIGKILL');
    await waitFor(
      () => out,
      (t) => t.includes(`worker ${victim} exited (SIGKILL)`) && listening(t) >= 3,
    );
    const now = workerPids(primary.pid!);
    expect(now).toHaveLength(2);
    expect(now).toContain(survivor);
    expect(now).not.toContain(victim);
    expect((await http(baseUrl, 'GET', '/openapi.json')).status).toBe(200);
  });

  it('forwards SIGTERM to the workers and exits 0 once they have closed', async () => {
    const workers = workerPids(primary.pid!);
    // Two to check below: an empty list would let the loop at the end assert nothing.
    expect(workers).toHaveLength(2);
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
