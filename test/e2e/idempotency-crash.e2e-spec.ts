import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { keyScopeId } from '../../src/common/idempotency-keys/fingerprint';
import { freePort } from '../support/postgres-process';
import { http, startTestApp, uniqueId } from '../support/test-app';
import { connectDirect, testDatabaseUrl, withDirect } from '../support/test-database';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens';

const ROOT = join(__dirname, '../..');
const CREATE = '/api/v1/task-instances';

/** Polls (bounded) until `probe` returns a value; the bound only guards against a hung test. */
async function poll<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The service as its own process (src/main.ts, as deployed), killed with SIGKILL while a request
 * with an Idempotency-Key has written its task instance and is storing its response, before COMMIT.
 */
describe('Idempotency-Key: a crash between the write and its commit', () => {
  let child: ChildProcess;
  let port: number;
  let out = '';

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, ['--require', join(ROOT, 'test/support/register-ts.js'), join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: testDatabaseUrl(),
        JWT_SECRET: TEST_JWT_SECRET,
        MIGRATIONS_RUN_ON_START: 'false',
        LOG_LEVEL: 'info',
        // The request waits on the test's lock for as long as the test needs; the kill ends it.
        DB_LOCK_TIMEOUT_MS: '120000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await poll(
      async () => (/listening on/.test(out) ? true : child.exitCode !== null ? Promise.reject(new Error(`service exited: ${out}`)) : undefined),
      'the service to listen',
    );
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('leaves neither the task instance nor a stored response, and the key is free afterwards', async () => {
    const dagId = uniqueId('idem_crash');
    const body = JSON.stringify({ dag_id: dagId, run_id: 'run', task_id: 'a' });
    const key = randomUUID();
    const scopeId = keyScopeId('admin:test-admin', `POST ${CREATE}`, key);
    // An uncommitted row under the same primary key: the request's insert of its stored response,
    // the last statement before COMMIT, waits for this transaction. The pause is the test's; the
    // request does everything else as it always does.
    const holder = await connectDirect();
    await holder.query('begin');
    await holder.query(
      `insert into idempotency_key (id, route, caller, key, fingerprint, status, headers, body, created_at, expires_at)
       values ($1, 'test', 'test', 'test', 'test', 200, '{}', '', now(), now())`,
      [scopeId],
    );
    const token = await adminToken();
    const answer = new Promise<string>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: CREATE,
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        },
        (res) => resolve(`answered ${res.statusCode}`),
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end(body);
    });

    // The request's backend: waiting on that lock, inside a transaction that has written the task
    // instance (an INSERT takes ROW EXCLUSIVE on the table and gives the transaction an xid).
    const backend = await poll(
      () =>
        withDirect(async (c) => {
          const r = await c.query(
            `select a.pid from pg_stat_activity a
              where a.datname = current_database() and a.wait_event_type = 'Lock' and a.query ilike '%insert into idempotency_key%'
                and a.backend_xid is not null
                and exists (select 1 from pg_locks l where l.pid = a.pid and l.relation = 'task_instance'::regclass and l.mode = 'RowExclusiveLock')`,
          );
          return r.rows[0]?.pid as number | undefined;
        }),
      'the request to have written and to wait before its commit',
    );

    child.kill('SIGKILL');
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    expect(await answer).toBe('ECONNRESET');
    // Let the request's statement go on: its connection is gone, so its transaction can only end in
    // a rollback (PostgreSQL never saw a COMMIT). Wait until its backend has ended.
    await holder.query('rollback');
    await holder.end();
    await poll(
      () => withDirect(async (c) => ((await c.query('select 1 from pg_stat_activity where pid = $1', [backend])).rowCount === 0 ? true : undefined)),
      'the backend to end',
    );

    const left = await withDirect(async (c) => ({
      taskInstances: (await c.query('select count(*)::int as n from task_instance where dag_id = $1', [dagId])).rows[0].n,
      dagRuns: (await c.query('select count(*)::int as n from dag_run where dag_id = $1', [dagId])).rows[0].n,
      storedResponses: (await c.query('select count(*)::int as n from idempotency_key where id = $1', [scopeId])).rows[0].n,
    }));
    expect(left).toEqual({ taskInstances: 0, dagRuns: 0, storedResponses: 0 });

    // The client's retry with the same key, on a running service: executed (no stuck "in flight").
    const t = await startTestApp();
    try {
      const retry = await http(t.baseUrl, 'POST', CREATE, body, { 'Idempotency-Key': key });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const replay = await http(t.baseUrl, 'POST', CREATE, body, { 'Idempotency-Key': key });
      expect(replay.text).toBe(retry.text);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await t.close();
    }
  }, 120_000);
});
