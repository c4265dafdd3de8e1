import { Logger, type LoggerService } from '@nestjs/common';
import type { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '../../src/config/app-config';
import { DomainError } from '../../src/common/problem/domain-error';
import { UnitOfWorkStats, type UnitOfWorkStatsSnapshot } from '../../src/common/unit-of-work/unit-of-work.stats';
import { FAULT_RUN_HEADER, FAULT_TABLES_SQL, FaultRoutesModule, FaultScript, type AttemptRecord } from '../support/fault-routes.module';
import { http, startTestApp, uniqueId, type HttpResult, type TestApp } from '../support/test-app';
import { startErrorSplittingProxy } from '../support/pg-split-proxy';
import { connectDirect, testDatabaseUrl, withDirect } from '../support/test-database';
import { expectedProblem } from '../support/problem';

/**
 * The conflict policy proven end to end: each failure is provoked for real in PostgreSQL through
 * test-only routes (test/support/fault-routes.module.ts), never by mocking.
 */

interface Captured {
  level: string;
  message: unknown;
}
const logs: Captured[] = [];
const captureLogger: LoggerService = {
  log: (message) => logs.push({ level: 'log', message }),
  warn: (message) => logs.push({ level: 'warn', message }),
  error: (message, ...rest) => {
    logs.push({ level: 'error', message });
    if (process.env.TEST_LOGS === 'true') console.error(message, ...rest);
  },
  debug: () => undefined,
  verbose: () => undefined,
};

// DB_RETRY_MAX_ATTEMPTS is pinned: its default depends on DB_ISOLATION, and the suite runs once serializable.
const FAST_RETRIES = { DB_RETRY_MAX_ATTEMPTS: '3', DB_RETRY_BASE_DELAY_MS: '1', DB_RETRY_MAX_DELAY_MS: '5', DB_POOL_MAX: '20' };

let nextRowId = 1000;
const rowId = (): number => nextRowId++;

function post(t: TestApp, path: string, run: string): Promise<HttpResult> {
  return http(t.baseUrl, 'POST', path, undefined, { [FAULT_RUN_HEADER]: run });
}

/** Lets `n` callers through together, so that they all read before any of them writes. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    arrived += 1;
    if (arrived === n) release();
    // A guard, not an assertion: fail loudly instead of hanging when fewer requests arrive.
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`barrier: ${arrived}/${n} arrived`)), 20_000)));
    try {
      await Promise.race([open, guard]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The retry events recorded for one route between two snapshots. */
function retriesOf(before: UnitOfWorkStatsSnapshot, after: UnitOfWorkStatsSnapshot, route: string): Record<string, number> {
  const count = (s: UnitOfWorkStatsSnapshot, sqlstate: string) => s.retries.find((r) => r.route === route && r.sqlstate === sqlstate)?.count ?? 0;
  const states = new Set(after.retries.filter((r) => r.route === route).map((r) => r.sqlstate));
  return Object.fromEntries([...states].map((s) => [s, count(after, s) - count(before, s)]).filter(([, n]) => (n as number) > 0));
}

function retryLogs(route: string): Record<string, unknown>[] {
  return logs
    .map((l) => l.message as Record<string, unknown>)
    .filter((m) => typeof m === 'object' && m !== null && m.msg === 'retrying unit of work' && m.route === route);
}

/** Each attempt ran on a fork of its own with an empty identity map, in a transaction of its own. */
function expectFreshAttempts(attempts: AttemptRecord[], n: number): void {
  expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(new Set(attempts.map((a) => a.forkId)).size).toBe(n);
  expect(new Set(attempts.map((a) => a.txid)).size).toBe(n);
  expect(attempts.map((a) => a.identityMapSize)).toEqual(Array(n).fill(0));
}

const EXHAUSTED_DETAIL = 'A transient database conflict persisted after all retries. Retry later.';

describe('conflict policy (real PostgreSQL, real failures)', () => {
  let t: TestApp;
  let script: FaultScript;
  let stats: UnitOfWorkStats;
  const direct: Client[] = [];

  beforeAll(async () => {
    await withDirect((c) => c.query(FAULT_TABLES_SQL));
    t = await startTestApp({ env: FAST_RETRIES, imports: [FaultRoutesModule] });
    script = t.app.get(FaultScript);
    stats = t.app.get(UnitOfWorkStats);
    Logger.overrideLogger(captureLogger);
  });
  afterAll(async () => {
    await Promise.all(direct.map((c) => c.end().catch(() => undefined)));
    await t.close();
  });

  async function directClient(): Promise<Client> {
    const c = await connectDirect();
    direct.push(c);
    return c;
  }

  describe('unique violation on a racy find-then-insert', () => {
    const N = 12;

    it(`retry policy: ${N} concurrent requests that all read before any writes all succeed, one row`, async () => {
      const run = uniqueId('racy_retry');
      const name = uniqueId('item');
      const arrive = barrier(N);
      script.on(run, async (point, a) => {
        if (point === 'before_insert' && a.attempt === 1) await arrive();
      });
      const route = 'POST /test/faults/racy/retry/:name';
      const before = stats.snapshot();
      const logsBefore = retryLogs(route).length;

      const results = await Promise.all(Array.from({ length: N }, () => post(t, `/test/faults/racy/retry/${name}`, run)));

      expect(results.map((r) => r.status)).toEqual(Array(N).fill(201));
      // One request inserted; every other one hit the unique key, was retried once and found the row.
      expect(results.filter((r) => r.body.created)).toHaveLength(1);
      expect(results.filter((r) => !r.body.created).map((r) => r.body.attempt)).toEqual(Array(N - 1).fill(2));
      const perRequest = [...script.attemptsPerRequest(run).values()];
      expect(perRequest.map((a) => a.length).sort()).toEqual([1, ...Array(N - 1).fill(2)]);
      for (const attempts of perRequest) expectFreshAttempts(attempts, attempts.length);
      expect(retriesOf(before, stats.snapshot(), route)).toEqual({ '23505': N - 1 });
      // Each retry logged once, with the route, SQLSTATE, constraint and attempt (no values).
      expect(retryLogs(route).slice(logsBefore)).toEqual(
        Array(N - 1).fill({
          msg: 'retrying unit of work',
          route,
          sqlstate: '23505',
          constraint: 'fault_item_name_key',
          attempt: 1,
          delay_ms: expect.any(Number),
        }),
      );
      const rows = await withDirect(async (c) => (await c.query('select count(*)::int as n from fault_item where name = $1', [name])).rows[0].n);
      expect(rows).toBe(1);
    });

    it(`conflict policy: of ${N} concurrent requests exactly one succeeds, the rest get 409 already_exists`, async () => {
      const run = uniqueId('racy_conflict');
      const name = uniqueId('item');
      const arrive = barrier(N);
      script.on(run, async (point, a) => {
        if (point === 'before_insert' && a.attempt === 1) await arrive();
      });
      const path = `/test/faults/racy/conflict/${name}`;
      const conflictsCounted = () => stats.snapshot().conflicts.find((c) => c.reason === 'already_exists')?.count ?? 0;
      const before = conflictsCounted();

      const results = await Promise.all(Array.from({ length: N }, () => post(t, path, run)));

      expect(results.filter((r) => r.status === 201).map((r) => r.body)).toEqual([{ created: true, attempt: 1 }]);
      const conflicts = results.filter((r) => r.status !== 201);
      expect(conflicts).toHaveLength(N - 1);
      for (const c of conflicts) {
        expect(c.status).toBe(409);
        expect(c.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
        expect(c.headers.get('retry-after')).toBeNull();
        expect(c.body).toEqual(
          expectedProblem(409, 'already_exists', 'The request conflicts with an existing resource (already_exists).', path, {
            constraint: 'fault_item_name_key',
          }),
        );
      }
      // A conflict is never retried: every request ran its handler exactly once.
      expect([...script.attemptsPerRequest(run).values()].map((a) => a.length)).toEqual(Array(N).fill(1));
      expect(conflictsCounted() - before).toBe(N - 1);
      const rows = await withDirect(async (c) => (await c.query('select count(*)::int as n from fault_item where name = $1', [name])).rows[0].n);
      expect(rows).toBe(1);
    });

    it('a conflict route that maps no constraint answers 409 unique_violation naming the constraint, with no values', async () => {
      const run = uniqueId('unmapped');
      const name = uniqueId('item');
      await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [name]));
      // The row exists before the request reads: insert it again behind the route's back.
      const path = `/test/faults/racy/unmapped/${name}`;
      script.on(run, async (point) => {
        if (point === 'before_insert') throw new Error('unreachable: the row is found');
      });
      const found = await post(t, path, run);
      expect(found.status).toBe(201);
      expect(found.body).toEqual({ created: false, attempt: 1 });

      const racing = uniqueId('item');
      const path2 = `/test/faults/racy/unmapped/${racing}`;
      script.on(run, async (point) => {
        if (point === 'before_insert') await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [racing]));
      });
      const res = await post(t, path2, run);
      expect(res.status).toBe(409);
      expect(res.body).toEqual(
        expectedProblem(409, 'unique_violation', 'The request conflicts with an existing row (constraint fault_item_name_key).', path2, {
          constraint: 'fault_item_name_key',
        }),
      );
    });

    it('a unique violation on a route without any policy is a 500 with a correlation id and nothing internal', async () => {
      const name = uniqueId('item');
      const path = `/test/faults/racy/no-policy/${name}`;
      expect((await post(t, path, 'none')).status).toBe(201);
      const res = await http(t.baseUrl, 'POST', path, undefined, { 'correlation-id': 'corr-no-policy-1' });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        type: 'urn:task-execution-api:problem:internal_error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An internal error occurred. Quote correlation id corr-no-policy-1 when reporting it.',
        instance: path,
        reason: 'internal_error',
        correlation_id: 'corr-no-policy-1',
      });
      expect(res.text).not.toMatch(/insert|fault_item|duplicate/i);
      const logged = logs.map((l) => l.message as Record<string, unknown>).find((m) => m?.correlation_id === 'corr-no-policy-1');
      expect(logged).toMatchObject({ msg: 'unique violation on a route without an @UnitOfWork policy', sqlstate: '23505', constraint: 'fault_item_name_key' });
      expect(JSON.stringify(logged)).not.toContain(name);
    });
  });

  describe('serialization failure (REPEATABLE READ, concurrent update)', () => {
    const route = 'POST /test/faults/counters/:id/increment';

    async function counter(): Promise<number> {
      const id = rowId();
      await withDirect((c) => c.query('insert into fault_counter (id, v) values ($1, 0)', [id]));
      return id;
    }
    const valueOf = (id: number) => withDirect(async (c) => (await c.query('select v from fault_counter where id = $1', [id])).rows[0].v as number);

    it('is retried on a new fork and succeeds once the concurrent writer is gone; logged and counted once', async () => {
      const id = await counter();
      const run = uniqueId('ser_ok');
      const writer = await directClient();
      script.on(run, async (point, a) => {
        if (point === 'after_read' && a.attempt === 1) await writer.query('update fault_counter set v = v + 100 where id = $1', [id]);
      });
      const before = stats.snapshot();
      const logsBefore = retryLogs(route).length;

      const res = await post(t, `/test/faults/counters/${id}/increment`, run);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ created: false, attempt: 2, isolation: 'repeatable read' });
      const attempts = script.attempts(run);
      expectFreshAttempts(attempts, 2);
      expect(await valueOf(id)).toBe(101);
      expect(retriesOf(before, stats.snapshot(), route)).toEqual({ '40001': 1 });
      expect(retryLogs(route).slice(logsBefore)).toEqual([
        { msg: 'retrying unit of work', route, sqlstate: '40001', constraint: undefined, attempt: 1, delay_ms: expect.any(Number) },
      ]);
    });

    it('ends in 503 retries_exhausted with Retry-After after exactly DB_RETRY_MAX_ATTEMPTS attempts when it persists', async () => {
      const id = await counter();
      const run = uniqueId('ser_fail');
      const writer = await directClient();
      script.on(run, async (point) => {
        if (point === 'after_read') await writer.query('update fault_counter set v = v + 100 where id = $1', [id]);
      });
      const before = stats.snapshot();
      const path = `/test/faults/counters/${id}/increment`;

      const res = await post(t, path, run);

      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toEqual(expectedProblem(503, 'retries_exhausted', EXHAUSTED_DETAIL, path, { attempts: 3, sqlstate: '40001' }));
      expectFreshAttempts(script.attempts(run), 3);
      expect(await valueOf(id)).toBe(300);
      const after = stats.snapshot();
      expect(retriesOf(before, after, route)).toEqual({ '40001': 2 });
      expect(after.retriesExhausted - before.retriesExhausted).toBe(1);
    });

    it('a non-database error on a retried attempt ends the unit of work: not retried again', async () => {
      const id = await counter();
      const run = uniqueId('ser_domain');
      const writer = await directClient();
      script.on(run, async (point, a) => {
        if (point !== 'after_read') return;
        if (a.attempt === 1) await writer.query('update fault_counter set v = v + 100 where id = $1', [id]);
        else throw new DomainError('not_found', 'Counter vanished.', 'not_found', { counter: id });
      });
      const path = `/test/faults/counters/${id}/increment`;

      const res = await post(t, path, run);

      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        type: 'urn:task-execution-api:problem:not_found',
        title: 'Not Found',
        status: 404,
        detail: 'Counter vanished.',
        instance: path,
        reason: 'not_found',
        correlation_id: expect.any(String),
        counter: id,
      });
      expectFreshAttempts(script.attempts(run), 2);
      expect(await valueOf(id)).toBe(100);
    });
  });

  describe('deadlock (two transactions locking rows in opposite order)', () => {
    const route = 'POST /test/faults/locks/:a/then/:b';

    /**
     * On the attempts in `deadlockOn`: a test connection locks b, waits until the route is really
     * waiting for b, then asks for a. Only the route's backend runs the deadlock check in time (the
     * test connection's deadlock_timeout is 60 s), so it finds the cycle and aborts the route's transaction.
     */
    function deadlockScript(a: number, b: number, deadlockOn: (attempt: number) => boolean, done: Promise<unknown>[]) {
      return async (point: string, rec: AttemptRecord) => {
        if (point !== 'after_first_lock' || !deadlockOn(rec.attempt)) return;
        const other = await directClient();
        await other.query('begin');
        // Only the route's backend may run the deadlock check: otherwise, on a loaded machine, this
        // connection's check can fire first and make the test the victim (a flaky failure).
        await other.query("set local deadlock_timeout = '60s'");
        await other.query('select id from fault_lock where id = $1 for update', [b]);
        done.push(
          (async () => {
            for (let i = 0; ; i++) {
              const { rows } = await other.query('select wait_event_type from pg_stat_activity where pid = $1', [rec.pid]);
              if (rows[0]?.wait_event_type === 'Lock') break;
              if (i > 1000) throw new Error('the route never waited for the lock');
              await new Promise((r) => setTimeout(r, 5));
            }
            await other.query('select id from fault_lock where id = $1 for update', [a]);
            await other.query('rollback');
          })(),
        );
      };
    }

    async function lockRows(): Promise<[number, number]> {
      const [a, b] = [rowId(), rowId()];
      await withDirect((c) => c.query('insert into fault_lock (id) values ($1), ($2)', [a, b]));
      return [a, b];
    }

    it('is retried and succeeds when the other transaction has gone', async () => {
      const [a, b] = await lockRows();
      const run = uniqueId('deadlock_ok');
      const done: Promise<unknown>[] = [];
      script.on(
        run,
        deadlockScript(a, b, (k) => k === 1, done),
      );
      const before = stats.snapshot();

      const res = await post(t, `/test/faults/locks/${a}/then/${b}`, run);
      await Promise.all(done);

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ created: false, attempt: 2 });
      expectFreshAttempts(script.attempts(run), 2);
      expect(retriesOf(before, stats.snapshot(), route)).toEqual({ '40P01': 1 });
    });

    it("ends in 503 retries_exhausted with Retry-After after the route's own maxAttempts (2)", async () => {
      const [a, b] = await lockRows();
      const run = uniqueId('deadlock_fail');
      const done: Promise<unknown>[] = [];
      script.on(
        run,
        deadlockScript(a, b, () => true, done),
      );
      const path = `/test/faults/locks/${a}/then/${b}`;

      const res = await post(t, path, run);
      await Promise.all(done);

      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toEqual(expectedProblem(503, 'retries_exhausted', EXHAUSTED_DETAIL, path, { attempts: 2, sqlstate: '40P01' }));
      expectFreshAttempts(script.attempts(run), 2);
    });
  });

  describe('integrity and data errors: the matching 4xx, never retried, nothing written', () => {
    let parent: number;
    beforeAll(async () => {
      parent = rowId();
      await withDirect((c) => c.query('insert into fault_parent (id) values ($1)', [parent]));
    });
    const children = () =>
      withDirect(async (c) => (await c.query('select count(*)::int as n from fault_child where parent_id = $1', [parent])).rows[0].n as number);

    // PARENT stands for an existing parent row.
    it.each([
      [
        'foreign key violation',
        '999999999/0',
        'foreign_key_violation',
        'The request refers to a row that does not exist (it may have just been deleted).',
        { constraint: 'fault_child_parent_fk' },
      ],
      ['not-null violation', 'null/0', 'not_null_violation', 'A required value is missing.', {}],
      ['check violation', 'PARENT/-1', 'check_violation', 'A value is outside the range the database allows.', { constraint: 'fault_child_n_check' }],
      ['data exception (invalid integer text)', 'PARENT/abc', 'value_rejected', 'The database rejected a value in the request.', { sqlstate: '22P02' }],
      ['data exception (integer out of range)', 'PARENT/99999999999', 'value_rejected', 'The database rejected a value in the request.', { sqlstate: '22003' }],
    ])('%s (children/%s) → 422 %s after one attempt, even on a retrying route', async (_, args, reason, detail, extensions) => {
      const run = uniqueId('integrity');
      const path = `/test/faults/children/${args.replace('PARENT', String(parent))}`;
      const res = await post(t, path, run);
      expect(res.status).toBe(422);
      expect(res.body).toEqual(expectedProblem(422, reason as string, detail as string, path, extensions as Record<string, unknown>));
      expect(script.attempts(run)).toHaveLength(1);
      expect(res.text).not.toMatch(/insert|values|fault_child \(/i);
    });

    it('the same route writes when the values are fine (the 4xx above were not false negatives)', async () => {
      const before = await children();
      const res = await post(t, `/test/faults/children/${parent}/1`, uniqueId('ok'));
      expect(res.status).toBe(201);
      expect(await children()).toBe(before + 1);
    });
  });

  describe('controller-level policy with a handler-level override', () => {
    it("a handler without its own policy uses the controller's (conflict): 409 unique_violation, one attempt", async () => {
      const name = uniqueId('item');
      await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [name]));
      const run = uniqueId('class_inherits');
      const path = `/test/faults/class/inherits/${name}`;
      const res = await post(t, path, run);
      expect(res.status).toBe(409);
      expect(res.body).toEqual(
        expectedProblem(409, 'unique_violation', 'The request conflicts with an existing row (constraint fault_item_name_key).', path, {
          constraint: 'fault_item_name_key',
        }),
      );
      expect(script.attempts(run)).toHaveLength(1);
    });

    it("the handler's policy wins (retry), and the two registered interceptors run ONE unit of work: 3 attempts, each one transaction on one connection", async () => {
      const name = uniqueId('item');
      await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [name]));
      const run = uniqueId('class_overrides');
      const path = `/test/faults/class/overrides/${name}`;
      const res = await post(t, path, run);
      // A unique violation that never goes away on a retry route: retried, then 503, never 409.
      expect(res.status).toBe(503);
      expect(res.body).toEqual(expectedProblem(503, 'retries_exhausted', EXHAUSTED_DETAIL, path, { attempts: 3, sqlstate: '23505' }));
      expectFreshAttempts(script.attempts(run), 3);
      // A nested unit of work would run the handler in a second transaction on a second
      // connection while the outer one sits idle in transaction (and would hold two pool slots).
      expect(script.attempts(run).map((a) => a.otherTransactions)).toEqual([0, 0, 0]);
    });
  });

  describe('OpenAPI', () => {
    let doc: any;
    beforeAll(async () => {
      doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
    });
    const statuses = (path: string) => Object.keys(doc.paths[path].post.responses).sort();

    it('documents a 409 only where the policy can produce one, with its reasons, and a 503 on every unit of work', () => {
      expect(statuses('/test/faults/racy/retry/{name}')).toEqual(['201', '503']);
      expect(statuses('/test/faults/racy/conflict/{name}')).toEqual(['201', '409', '503']);
      expect(Object.keys(doc.paths['/test/faults/racy/conflict/{name}'].post.responses['409'].content['application/problem+json'].examples)).toEqual([
        'already_exists',
        'unique_violation',
      ]);
      expect(statuses('/test/faults/racy/unmapped/{name}')).toEqual(['201', '409', '503']);
      expect(statuses('/test/faults/racy/no-policy/{name}')).toEqual(['201', '500']);
    });

    it('applies a controller-level policy per handler, so an overriding handler shows no 409', () => {
      expect(statuses('/test/faults/class/inherits/{name}')).toEqual(['201', '409', '503']);
      expect(statuses('/test/faults/class/overrides/{name}')).toEqual(['201', '503']);
    });
  });
});

describe('lock timeout (a row lock held from a test connection)', () => {
  let t: TestApp;
  let script: FaultScript;
  let holder: Client;
  const route = 'POST /test/faults/locks/:id';

  beforeAll(async () => {
    await withDirect((c) => c.query(FAULT_TABLES_SQL));
    t = await startTestApp({ env: { ...FAST_RETRIES, DB_LOCK_TIMEOUT_MS: '150' }, imports: [FaultRoutesModule] });
    script = t.app.get(FaultScript);
    holder = await connectDirect();
  });
  afterAll(async () => {
    await holder.end();
    await t.close();
  });

  async function heldRow(): Promise<number> {
    const id = rowId() + 500_000;
    await holder.query('insert into fault_lock (id) values ($1)', [id]);
    await holder.query('begin');
    await holder.query('select id from fault_lock where id = $1 for update', [id]);
    return id;
  }

  it('is retried and succeeds once the lock is released; the transaction ran with DB_LOCK_TIMEOUT_MS', async () => {
    const id = await heldRow();
    const run = uniqueId('lock_ok');
    script.on(run, async (point, a) => {
      if (point === 'before_lock' && a.attempt === 2) await holder.query('commit');
    });
    const stats = t.app.get(UnitOfWorkStats);
    const before = stats.snapshot();

    const res = await post(t, `/test/faults/locks/${id}`, run);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ created: false, attempt: 2, lockTimeout: '150ms' });
    expectFreshAttempts(script.attempts(run), 2);
    // The configured isolation (DB_ISOLATION; the suite runs once with serializable), as PostgreSQL names it.
    const isolation = t.app.get<AppConfig>(APP_CONFIG).database.isolation.replace('_', ' ');
    expect(script.attempts(run).map((a) => a.isolation)).toEqual([isolation, isolation]);
    expect(retriesOf(before, stats.snapshot(), route)).toEqual({ '55P03': 1 });
  });

  it('ends in 503 retries_exhausted with Retry-After while the lock is held', async () => {
    const id = await heldRow();
    const run = uniqueId('lock_fail');
    const path = `/test/faults/locks/${id}`;
    try {
      const res = await post(t, path, run);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toEqual(expectedProblem(503, 'retries_exhausted', EXHAUSTED_DETAIL, path, { attempts: 3, sqlstate: '55P03' }));
      expectFreshAttempts(script.attempts(run), 3);
    } finally {
      await holder.query('rollback');
    }
  });
});

describe('retry budget', () => {
  let t: TestApp;
  let script: FaultScript;
  let writer: Client;

  beforeAll(async () => {
    await withDirect((c) => c.query(FAULT_TABLES_SQL));
    t = await startTestApp({ env: { ...FAST_RETRIES, DB_RETRY_BUDGET_CAPACITY: '0' }, imports: [FaultRoutesModule] });
    script = t.app.get(FaultScript);
    writer = await connectDirect();
  });
  afterAll(async () => {
    await writer.end();
    await t.close();
  });

  it('an empty budget refuses the retry: 503 retry_budget_exhausted with Retry-After, one attempt, counted', async () => {
    const id = rowId() + 700_000;
    await writer.query('insert into fault_counter (id, v) values ($1, 0)', [id]);
    const run = uniqueId('budget');
    script.on(run, async (point) => {
      if (point === 'after_read') await writer.query('update fault_counter set v = v + 100 where id = $1', [id]);
    });
    const stats = t.app.get(UnitOfWorkStats);
    const before = stats.snapshot();
    const path = `/test/faults/counters/${id}/increment`;

    const res = await post(t, path, run);

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body).toEqual(
      expectedProblem(503, 'retry_budget_exhausted', 'The service is shedding retries because of many database conflicts. Retry later.', path, {
        sqlstate: '40001',
      }),
    );
    expect(script.attempts(run)).toHaveLength(1);
    expect(stats.snapshot().budgetRefusals - before.budgetRefusals).toBe(1);
  });
});

describe.each([
  ['directly', false],
  ['with each ReadyForQuery after an error arriving 150 ms late (a proxy splits it off)', true],
])('a handler that catches a database error and carries on, connected %s', (_, split) => {
  let t: TestApp;
  let proxy: { url: string; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    await withDirect((c) => c.query(FAULT_TABLES_SQL));
    // node-postgres rejects a statement on its ErrorResponse; the transaction status comes with the
    // ReadyForQuery after it. Through the proxy the handler has returned long before that arrives.
    proxy = split ? await startErrorSplittingProxy(testDatabaseUrl()) : undefined;
    t = await startTestApp({ env: FAST_RETRIES, imports: [FaultRoutesModule], databaseUrl: proxy?.url });
    Logger.overrideLogger(captureLogger);
  });
  afterAll(async () => {
    await t.close();
    await proxy?.close();
  });
  const items = (names: string[]) =>
    withDirect(async (c) => (await c.query('select name from fault_item where name = any($1) order by name', [names])).rows.map((r) => r.name as string));

  it('cannot answer 201 for an aborted transaction: the swallowed unique violation is the answer (409), and nothing it wrote is kept', async () => {
    const existing = uniqueId('swallow_existing');
    await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [existing]));
    const name = uniqueId('swallow_written');
    const errorsBefore = logs.filter((l) => l.level === 'error').length;
    const path = `/test/faults/swallow/unique/${name}/${existing}`;
    const res = await post(t, path, uniqueId('swallow'));
    expect(res.status).toBe(409);
    expect(res.body).toEqual(
      expectedProblem(409, 'unique_violation', 'The request conflicts with an existing row (constraint fault_item_name_key).', path, {
        constraint: 'fault_item_name_key',
      }),
    );
    // The row written before the swallowed error was rolled back with the transaction.
    expect(await items([name, existing])).toEqual([existing]);
    const logged = logs
      .filter((l) => l.level === 'error')
      .slice(errorsBefore)
      .map((l) => l.message as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ route: 'POST /test/faults/swallow/:kind/:name/:existing', sqlstate: '23505' }));
  });

  it('a swallowed foreign-key violation answers 422 as if it had not been caught', async () => {
    const name = uniqueId('swallow_fk');
    const path = `/test/faults/swallow/fk/${name}/unused`;
    const res = await post(t, path, uniqueId('swallow_fk'));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ reason: 'foreign_key_violation', constraint: 'fault_child_parent_fk' });
    expect(await items([name])).toEqual([]);
  });

  it('an error recovered through a savepoint (nested em.transactional) is not a failure: the rest commits', async () => {
    const existing = uniqueId('savepoint_existing');
    await withDirect((c) => c.query('insert into fault_item (name) values ($1)', [existing]));
    const name = uniqueId('savepoint');
    const res = await post(t, `/test/faults/savepoint/${name}/${existing}`, uniqueId('savepoint'));
    expect([res.status, res.body]).toEqual([201, { recovered: '23505' }]);
    expect(await items([`${name}_a`, `${name}_b`, existing])).toEqual([existing, `${name}_a`, `${name}_b`].sort());
  });
});
