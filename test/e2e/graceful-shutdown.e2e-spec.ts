import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { buildService } from '../support/build-service';
import { freePort } from '../support/postgres-process';
import { uniqueId, type CreatedTi } from '../support/test-app';
import { testDatabaseUrl, withDirect } from '../support/test-database';
import { adminToken, executionToken, TEST_JWT_SECRET } from '../support/tokens';

type Outcome = { kind: 'answered'; status: number; body: string } | { kind: 'failed'; code: string };

/** One request on its own connection (no keep-alive pool), so each outcome is about that request. */
function send(method: 'POST' | 'PUT', port: number, path: string, body: unknown, token: string): Promise<Outcome> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0, body: text }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'failed', code: e.code ?? e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'failed', code: e.code ?? e.message }));
    req.end(payload);
  });
}

/**
 * SIGTERM during a burst of RTIF writes, against the real service running as its own process
 * (`node main.js`), as an orchestrator's rolling restart does it.
 */
describe('graceful shutdown (the service as a child process, SIGTERM mid-burst)', () => {
  const BURST = 160;
  let main: string;
  let child: ChildProcess;
  let port: number;
  const lines: Record<string, any>[] = [];
  let exit: Promise<number | null>;

  const waitForLine = (match: (l: Record<string, any>) => boolean) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) return resolve(found);
        if (child.exitCode !== null) return reject(new Error(`service exited (${child.exitCode}) before the expected log line`));
        setTimeout(check, 20);
      };
      check();
    });

  beforeAll(async () => {
    main = buildService('.data/build-shutdown-test');
    port = await freePort();
    child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: testDatabaseUrl(),
        JWT_SECRET: TEST_JWT_SECRET,
        MIGRATIONS_RUN_ON_START: 'false',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        // A small pool, so the burst queues and many requests are still in flight when the
        // listener closes.
        DB_POOL_MAX: '3',
        // Queued requests wait for a pooled connection; on a loaded machine the default 5 s bound
        // would turn some into 503s, which is not what this test is about.
        DB_CONNECT_TIMEOUT_MS: '60000',
        SHUTDOWN_DELAY_MS: '200',
        SHUTDOWN_GRACE_MS: '30000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // 'close', not 'exit': it fires after stdout is fully read, so the last log lines are in.
    exit = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) if (line.trim() !== '') lines.push(JSON.parse(line));
    });
    await waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('listening on'));
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('answers every accepted request, refuses new connections, writes nothing half-way and exits 0', async () => {
    const dagId = uniqueId('shutdown');
    // One connection per request here too, so the service's count of accepted connections can be
    // checked against the answers below.
    const admin = await adminToken();
    const tis: CreatedTi[] = [];
    for (let i = 0; i < BURST; i += 10) {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, j) => send('POST', port, '/api/v1/task-instances', { dag_id: dagId, run_id: 'run', task_id: `t${i + j}` }, admin)),
      );
      for (const c of created) {
        if (c.kind !== 'answered' || c.status !== 201) throw new Error(`create failed: ${JSON.stringify(c)}`);
        tis.push(JSON.parse(c.body) as CreatedTi);
      }
    }
    const bodies = tis.map((ti, i) => ({ writer: i, task_id: ti.task_id, payload: 'x'.repeat(4096) }));
    const tokens = await Promise.all(tis.map((ti) => executionToken(ti.id)));

    let answersSoFar = 0;
    let signalled!: () => void;
    const sigtermSent = new Promise<void>((resolve) => (signalled = resolve));
    const burst = tis.map((ti, i) =>
      send('PUT', port, `/execution/task-instances/${ti.id}/rtif`, bodies[i], tokens[i]).then((outcome) => {
        // SIGTERM once the first answers are out: the rest of the burst is in flight.
        if (outcome.kind === 'answered' && ++answersSoFar === 5) {
          child.kill('SIGTERM');
          signalled();
        }
        return outcome;
      }),
    );
    await sigtermSent;
    const listenerClosed = await waitForLine((l) => l.msg === 'listener closed: refusing new connections');
    const late = await Promise.all(
      Array.from({ length: 5 }, () => send('PUT', port, `/execution/task-instances/${tis[0].id}/rtif`, { late: true }, tokens[0])),
    );
    const outcomes = await Promise.all(burst);
    const code = await exit;

    const ok = { kind: 'answered', status: 201, body: '{"message":"Rendered task instance fields successfully set"}' };
    const answered = outcomes.filter((o) => o.kind === 'answered');
    // Every answer is a whole 201. A connection the client opened but the kernel had not handed to
    // the service when its listener closed is reset by the kernel (ECONNRESET, nothing was read):
    // the service's own count below proves none of those had been accepted.
    expect(answered).toEqual(Array(answered.length).fill(ok));
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual(Array(BURST - answered.length).fill({ kind: 'failed', code: 'ECONNRESET' }));
    // Connections opened after the listener closed are refused, never accepted and dropped.
    expect(late).toEqual(Array(5).fill({ kind: 'failed', code: 'ECONNREFUSED' }));
    expect(code).toBe(0);

    // Requests were still running when the listener closed, and all of them finished.
    expect(listenerClosed.in_flight).toBeGreaterThan(0);
    const drained = lines.find((l) => l.msg === 'drained: every accepted request was answered');
    expect(drained).toEqual(expect.objectContaining({ drained: true, in_flight_at_start: listenerClosed.in_flight }));
    // Every connection the service accepted (the creations, then the burst) got its answer.
    expect(drained!.connections_accepted).toBe(BURST + answered.length);
    expect(lines.filter((l) => l.msg === 'request completed' && l.method === 'PUT')).toHaveLength(answered.length);
    expect(lines.filter((l) => l.context === 'Main').map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight requests', 'listener closed: refusing new connections', 'stopped']),
    );

    // The database holds exactly the bodies that were acknowledged, each whole, and nothing else.
    const rows = await withDirect(
      async (c) =>
        (await c.query('select task_id, rendered_fields from rendered_task_instance_fields where dag_id = $1', [dagId])).rows as {
          task_id: string;
          rendered_fields: unknown;
        }[],
    );
    const acknowledged = bodies.filter((_, i) => outcomes[i].kind === 'answered');
    expect(rows).toHaveLength(acknowledged.length);
    const byTask = new Map(rows.map((r) => [r.task_id, r.rendered_fields]));
    for (const body of acknowledged) expect(byTask.get(body.task_id)).toEqual(body);
  }, 120_000);
});
