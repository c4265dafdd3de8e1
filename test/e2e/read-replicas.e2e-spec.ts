import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Get, Module } from '@nestjs/common';
import { UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';
import { loadAppConfig } from '../../src/settings';
import { runMigrations } from '../../src/database/migrate';
import { parseMetrics, sampleValue, type Sample } from '../support/metrics-text';
import { ReplicationPair } from '../support/replication-pair';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { bearer, executionToken } from '../support/tokens';
import { xcoms } from './xcom.helpers';

/**
 * A test-only replica read that holds a lock on a scratch table for 1.5 s and says where it ran:
 * a TRUNCATE on the primary, replayed on the standby, must cancel it ("conflict with recovery").
 */
@Controller('test-replica')
class ReplicaProbeController {
  constructor(private readonly em: EntityManager) {}

  @Get('slow-count')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  async slowCount(): Promise<{ rows: number; in_recovery: boolean }> {
    const [row] = await this.em.execute<{ rows: number; in_recovery: boolean }[]>(
      'select (select count(*)::int from rr_conflict) as rows, pg_is_in_recovery() as in_recovery, pg_sleep(1.5) is null as slept',
    );
    return { rows: row.rows, in_recovery: row.in_recovery };
  }
}

@Module({ controllers: [ReplicaProbeController] })
class ReplicaProbeModule {}

/**
 * Read replicas on real streaming replication: a PostgreSQL 15 primary and a hot standby of the
 * file's own (test/support/replication-pair.ts), whatever server the rest of the suite runs on.
 * Two applications share them: `relaxed` tolerates any lag (DB_REPLICA_MAX_LAG_MS at its maximum),
 * so a paused standby keeps serving it and shows which answers came from the standby; `strict`
 * (1000 ms, the default) must stop using a standby that falls behind.
 */
describe('read replicas (hot standby, MikroORM replicas)', () => {
  const DATABASE = 'tea_replicas';
  let pair: ReplicationPair;
  let relaxed: TestApp;
  let strict: TestApp;

  const metrics = async (app: TestApp): Promise<Sample[]> => parseMetrics((await http(app.baseUrl, 'GET', '/metrics')).text);
  const replicaReads = async (app: TestApp, route: string) => sampleValue(await metrics(app), 'db_replica_reads_total', { route, replica: 'replica1' });
  const fallbacks = async (app: TestApp, route: string, reason?: string) =>
    sampleValue(await metrics(app), 'db_replica_fallbacks_total', reason ? { route, reason } : { route });
  /** Polls (bounded) until the replica's eligibility gauge reads `value`. */
  const eligible = async (app: TestApp, value: 0 | 1, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (sampleValue(await metrics(app), 'db_replica_eligible', { replica: 'replica1' }) === value) return;
      if (Date.now() > deadline) throw new Error(`db_replica_eligible never became ${value}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const setVariable = async (app: TestApp, key: string, value: string) => {
    const res = await http(app.baseUrl, 'PUT', `/api/v1/variables/${key}`, { value });
    expect(res.status).toBe(200);
  };
  const getVariable = async (app: TestApp, key: string, tiId: string) =>
    http(app.baseUrl, 'GET', `/execution/variables/${key}`, undefined, bearer(await executionToken(tiId)));

  beforeAll(async () => {
    pair = await ReplicationPair.start();
    await pair.createDatabase(DATABASE);
    const url = pair.primaryUrl(DATABASE);
    await runMigrations(loadAppConfig({ DATABASE_URL: url }), url);
    await pair.waitForReplay();
    const replicaEnv = (maxLagMs: number) => ({ DB_READ_REPLICA_URLS: pair.standbyUrl(DATABASE), DB_REPLICA_MAX_LAG_MS: String(maxLagMs) });
    await pair.onPrimary((c) => c.query('create table rr_conflict (id int primary key); insert into rr_conflict values (1), (2)'), DATABASE);
    await pair.waitForReplay();
    relaxed = await startTestApp({ databaseUrl: url, env: replicaEnv(600_000), imports: [ReplicaProbeModule] });
    strict = await startTestApp({ databaseUrl: url, env: replicaEnv(1000) });
    await eligible(relaxed, 1);
    await eligible(strict, 1);
  }, 120_000);

  afterAll(async () => {
    await relaxed?.close();
    await strict?.close();
    pair?.stop();
  });

  it('the replica is a hot standby (pg_is_in_recovery), and the primary is not', async () => {
    expect(await pair.onStandby(async (c) => (await c.query('select pg_is_in_recovery() as r')).rows[0].r)).toBe(true);
    expect(await pair.onPrimary(async (c) => (await c.query('select pg_is_in_recovery() as r')).rows[0].r)).toBe(false);
  });

  it('answers a replica route from the standby: with replay paused, the relaxed app still returns what the standby holds', async () => {
    const ti = await createTaskInstance(relaxed.baseUrl, { dag_id: uniqueId('rr'), run_id: 'run_1', task_id: 't' });
    const key = uniqueId('var');
    await setVariable(relaxed, key, 'before');
    await pair.waitForReplay();
    const before = await replicaReads(relaxed, '/execution/variables/*key');
    await pair.pauseReplay();
    try {
      await setVariable(relaxed, key, 'after');
      // Only the standby can still say "before": the primary committed "after".
      const res = await getVariable(relaxed, key, ti.id);
      expect([res.status, res.body]).toEqual([200, { key, value: 'before' }]);
      expect(await replicaReads(relaxed, '/execution/variables/*key')).toBe(before + 1);
      // The control-plane reads the policy sends to the replica: served there too.
      const reads = await replicaReads(relaxed, '/api/v1/task-instances/:task_instance_id');
      expect((await http(relaxed.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}`)).status).toBe(200);
      expect(await replicaReads(relaxed, '/api/v1/task-instances/:task_instance_id')).toBe(reads + 1);
    } finally {
      await pair.resumeReplay();
    }
  });

  it('never answers a stale 404: what the standby has not replayed yet is read again on the primary', async () => {
    const ti = await createTaskInstance(relaxed.baseUrl, { dag_id: uniqueId('rr'), run_id: 'run_1', task_id: 't' });
    await pair.waitForReplay();
    await pair.pauseReplay();
    try {
      const misses = await fallbacks(relaxed, '/execution/variables/*key', 'refusal');
      const key = uniqueId('new');
      await setVariable(relaxed, key, 'fresh');
      const res = await getVariable(relaxed, key, ti.id);
      expect([res.status, res.body]).toEqual([200, { key, value: 'fresh' }]);
      expect(await fallbacks(relaxed, '/execution/variables/*key', 'refusal')).toBe(misses + 1);

      // A task instance created while the standby lags: found on the primary.
      const created = await createTaskInstance(relaxed.baseUrl, { dag_id: uniqueId('rr'), run_id: 'run_1', task_id: 'late' });
      expect((await http(relaxed.baseUrl, 'GET', `/api/v1/task-instances/${created.id}`)).body.id).toBe(created.id);

      // XCom reads stay on the primary (read-your-writes: a task reads its own and its upstream's
      // values right after they were written): pushed and pulled at once, 200 with the value.
      const x = xcoms(relaxed.baseUrl);
      const upstream = await x.newTi();
      const downstream = await createTaskInstance(relaxed.baseUrl, { dag_id: upstream.dag_id, run_id: upstream.run_id, task_id: 'pull' });
      expect((await x.set(upstream, 'return_value', { rows: 42 })).status).toBe(201);
      const own = await x.get(upstream, 'return_value');
      const pulled = await x.get(upstream, 'return_value', '', downstream);
      expect([own.status, own.body, pulled.status, pulled.body]).toEqual([
        200,
        { key: 'return_value', value: { rows: 42 } },
        200,
        { key: 'return_value', value: { rows: 42 } },
      ]);
      const samples = await metrics(relaxed);
      expect(samples.filter((s) => s.name.startsWith('db_replica_') && s.labels.route?.startsWith('/execution/xcoms'))).toEqual([]);
    } finally {
      await pair.resumeReplay();
    }
  });

  it('skips a standby that lags past DB_REPLICA_MAX_LAG_MS (the answer is the primary’s), and uses it again once it caught up', async () => {
    const ti = await createTaskInstance(strict.baseUrl, { dag_id: uniqueId('rr'), run_id: 'run_1', task_id: 't' });
    const key = uniqueId('lag');
    await setVariable(strict, key, 'old');
    await pair.waitForReplay();
    await eligible(strict, 1);
    await pair.pauseReplay();
    try {
      await setVariable(strict, key, 'new');
      await eligible(strict, 0);
      const lagging = await fallbacks(strict, '/execution/variables/*key', 'lagging');
      const res = await getVariable(strict, key, ti.id);
      expect([res.status, res.body]).toEqual([200, { key, value: 'new' }]);
      expect(await fallbacks(strict, '/execution/variables/*key', 'lagging')).toBe(lagging + 1);
      // Readiness does not depend on a replica.
      expect((await http(strict.baseUrl, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await pair.resumeReplay();
    }
    await eligible(strict, 1);
    const reads = await replicaReads(strict, '/execution/variables/*key');
    const again = await getVariable(strict, key, ti.id);
    expect([again.status, again.body]).toEqual([200, { key, value: 'new' }]);
    expect(await replicaReads(strict, '/execution/variables/*key')).toBe(reads + 1);
  });

  it('a recovery conflict on the standby (40001, "conflict with recovery") is answered from the primary, never surfaced', async () => {
    // Unhindered, the read runs on the standby: the read path itself sees pg_is_in_recovery().
    expect((await http(relaxed.baseUrl, 'GET', '/test-replica/slow-count')).body).toEqual({ rows: 2, in_recovery: true });
    const conflicts = await fallbacks(relaxed, '/test-replica/slow-count', 'recovery_conflict');
    const pending = http(relaxed.baseUrl, 'GET', '/test-replica/slow-count');
    // Once the read holds its lock on the standby, the primary truncates the table: replaying that
    // ACCESS EXCLUSIVE lock waits max_standby_streaming_delay (500 ms here), then cancels the read.
    const deadline = Date.now() + 10_000;
    while (
      !(await pair.onStandby(
        async (c) =>
          (await c.query("select 1 from pg_stat_activity where query like '%from rr_conflict%' and state = 'active' and pid <> pg_backend_pid()")).rowCount! >
          0,
        DATABASE,
      ))
    ) {
      if (Date.now() > deadline) throw new Error('the replica read never started on the standby');
      await new Promise((r) => setTimeout(r, 20));
    }
    await pair.onPrimary((c) => c.query('truncate rr_conflict'), DATABASE);
    const res = await pending;
    expect([res.status, res.body]).toEqual([200, { rows: 0, in_recovery: false }]);
    expect(await fallbacks(relaxed, '/test-replica/slow-count', 'recovery_conflict')).toBe(conflicts + 1);
  });

  // Last: the standby stays down.
  it('a standby stopped mid-test fails no request: concurrent reads answer 200 from the primary', async () => {
    const ti = await createTaskInstance(relaxed.baseUrl, { dag_id: uniqueId('rr'), run_id: 'run_1', task_id: 't' });
    const key = uniqueId('down');
    await setVariable(relaxed, key, 'kept');
    await pair.waitForReplay();
    pair.stopStandby();
    const token = bearer(await executionToken(ti.id));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 3 === 0
          ? http(relaxed.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}`)
          : i % 3 === 1
            ? http(relaxed.baseUrl, 'GET', `/execution/variables/${key}`, undefined, token)
            : http(relaxed.baseUrl, 'GET', `/execution/task-instances/count?dag_id=${ti.dag_id}`, undefined, token),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 24 }, () => 200));
    expect(results.filter((_, i) => i % 3 === 1).every((r) => r.body.value === 'kept')).toBe(true);
    // Every one fell back (the replica was lost, or already known down), and readiness stays up.
    const samples = await metrics(relaxed);
    const down =
      sampleValue(samples, 'db_replica_fallbacks_total', { reason: 'unavailable' }) + sampleValue(samples, 'db_replica_fallbacks_total', { reason: 'down' });
    expect(down).toBeGreaterThanOrEqual(24);
    await eligible(relaxed, 0);
    expect((await http(relaxed.baseUrl, 'GET', '/health/ready')).status).toBe(200);
  });
});
