import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { parseMetrics, sampleValue } from '../support/metrics-text';
import { createTaskInstance, LogCapture, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { connectDirect } from '../support/test-database';
import { executionToken } from '../support/tokens';

const RTIF_ROUTE = '/execution/task-instances/:task_instance_id/rtif';

describe('observability: correlation ids, JSON logs, metrics, probes', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp({
      logDestination: logs,
      env: {
        LOG_LEVEL: 'debug',
        // Short lock timeout so a held row lock becomes a retryable 55P03 quickly.
        DB_LOCK_TIMEOUT_MS: '100',
        DB_RETRY_MAX_ATTEMPTS: '5',
        DB_RETRY_BASE_DELAY_MS: '20',
        DB_RETRY_MAX_DELAY_MS: '100',
      },
    });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await problemHttp(t.baseUrl, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')?.split(/;\s*/).sort()).toEqual(['charset=utf-8', 'text/plain', 'version=0.0.4']);
    return parseMetrics(res.text);
  };
  const linesOf = (correlationId: string) => logs.lines.filter((l) => l.correlation_id === correlationId);

  it('counts accepted tokens by how they were checked: in full once, from the cache after', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('tokcache'), run_id: 'run', task_id: 'task' });
    const token = await executionToken(ti.id);
    const before = await scrape();
    const verified = sampleValue(before, 'auth_token_verifications_total', { outcome: 'verified' });
    const hits = sampleValue(before, 'auth_token_verifications_total', { outcome: 'cache_hit' });
    const entries = sampleValue(before, 'auth_token_cache_entries');
    for (let i = 0; i < 3; i++) {
      expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { i }, { authorization: `Bearer ${token}` })).status).toBe(201);
    }
    const after = await scrape();
    expect(sampleValue(after, 'auth_token_verifications_total', { outcome: 'verified' }) - verified).toBe(1);
    expect(sampleValue(after, 'auth_token_verifications_total', { outcome: 'cache_hit' }) - hits).toBe(2);
    // The new token is one more entry (earlier tokens of this app, such as the admin's, were already there).
    expect(sampleValue(after, 'auth_token_cache_entries') - entries).toBe(1);
  });

  it('echoes a given correlation-id and writes exactly one request line carrying it', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('corr'), run_id: 'run', task_id: 'task' });
    const id = `trace-${randomUUID()}`;
    const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { a: 1 }, { 'correlation-id': id });
    expect(res.status).toBe(201);
    expect(res.headers.get('correlation-id')).toBe(id);
    const requestLines = linesOf(id).filter((l) => l.msg === 'request completed');
    expect(requestLines).toEqual([
      {
        level: 'info',
        time: expect.any(String),
        service: 'task-execution-api',
        correlation_id: id,
        method: 'PUT',
        route: RTIF_ROUTE,
        path: `/execution/task-instances/${ti.id}/rtif`,
        status: 201,
        duration_ms: expect.any(Number),
        msg: 'request completed',
      },
    ]);
  });

  it('generates a correlation id when none (or an unacceptable one) is sent', async () => {
    const res = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${randomUUID()}`, undefined, { 'correlation-id': 'bad id with spaces' });
    expect(res.status).toBe(404);
    const id = res.headers.get('correlation-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body.correlation_id).toBe(id);
    expect(linesOf(id!).filter((l) => l.msg === 'request completed')).toEqual([
      expect.objectContaining({ level: 'warn', status: 404, route: '/api/v1/task-instances/:task_instance_id' }),
    ]);
  });

  it('counts a forced retry by route and SQLSTATE, and the retry log line carries the correlation id', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('retry'), run_id: 'run', task_id: 'task' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    const before = sampleValue(await scrape(), 'db_retries_total', { method: 'PUT', route: RTIF_ROUTE, sqlstate: '55P03' });

    // Hold the RTIF row's lock: the upsert waits, hits lock_timeout (55P03) and is retried.
    const locker = await connectDirect();
    try {
      await locker.query('begin');
      await locker.query('select 1 from rendered_task_instance_fields where dag_id = $1 for update', [ti.dag_id]);
      const id = `retry-${randomUUID()}`;
      const put = problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 2 }, { 'correlation-id': id });
      // Release the lock only once the metric shows the retry: no timing assumption.
      for (let i = 0; i < 200 && sampleValue(await scrape(), 'db_retries_total', { method: 'PUT', route: RTIF_ROUTE, sqlstate: '55P03' }) === before; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await locker.query('commit');
      const res = await put;
      expect(res.status).toBe(201);
      expect(sampleValue(await scrape(), 'db_retries_total', { method: 'PUT', route: RTIF_ROUTE, sqlstate: '55P03' })).toBeGreaterThan(before);
      expect(linesOf(id)).toContainEqual(
        expect.objectContaining({ level: 'warn', context: 'UnitOfWork', msg: 'retrying unit of work', sqlstate: '55P03', correlation_id: id }),
      );
    } finally {
      await locker.end();
    }
  });

  it('answers 503 with the correlation id when retries run out, and counts it', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exhaust'), run_id: 'run', task_id: 'task' });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    const before = sampleValue(await scrape(), 'db_retries_exhausted_total', { route: RTIF_ROUTE, sqlstate: '55P03' });
    const locker = await connectDirect();
    try {
      await locker.query('begin');
      await locker.query('select 1 from rendered_task_instance_fields where dag_id = $1 for update', [ti.dag_id]);
      const id = `exhaust-${randomUUID()}`;
      const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 2 }, { 'correlation-id': id });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toEqual({
        type: 'urn:task-execution-api:problem:retries_exhausted',
        title: 'Service Unavailable',
        status: 503,
        detail: 'A transient database conflict persisted after all retries. Retry later.',
        instance: `/execution/task-instances/${ti.id}/rtif`,
        reason: 'retries_exhausted',
        correlation_id: id,
        attempts: 5,
        sqlstate: '55P03',
      });
      expect(sampleValue(await scrape(), 'db_retries_exhausted_total', { route: RTIF_ROUTE, sqlstate: '55P03' })).toBe(before + 1);
      expect(linesOf(id).map((l) => l.msg)).toEqual([
        'retrying unit of work',
        'retrying unit of work',
        'retrying unit of work',
        'retrying unit of work',
        'unit of work failed after all attempts',
        'request failed',
        'request completed',
      ]);
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
  });

  it('counts a real conflict by reason, and requests by route template and status', async () => {
    const body = { dag_id: uniqueId('conflict'), run_id: 'run', task_id: 'task' };
    const samples0 = await scrape();
    const conflicts0 = sampleValue(samples0, 'db_conflicts_total', { method: 'POST', route: '/api/v1/task-instances', reason: 'already_exists' });
    const created0 = sampleValue(samples0, 'http_requests_total', { method: 'POST', route: '/api/v1/task-instances', status: '201' });
    const refused0 = sampleValue(samples0, 'http_requests_total', { method: 'POST', route: '/api/v1/task-instances', status: '409' });
    expect((await problemHttp(t.baseUrl, 'POST', '/api/v1/task-instances', body)).status).toBe(201);
    expect((await problemHttp(t.baseUrl, 'POST', '/api/v1/task-instances', body)).status).toBe(409);
    const samples = await scrape();
    expect(sampleValue(samples, 'db_conflicts_total', { method: 'POST', route: '/api/v1/task-instances', reason: 'already_exists' })).toBe(conflicts0 + 1);
    expect(sampleValue(samples, 'http_requests_total', { method: 'POST', route: '/api/v1/task-instances', status: '201' })).toBe(created0 + 1);
    expect(sampleValue(samples, 'http_requests_total', { method: 'POST', route: '/api/v1/task-instances', status: '409' })).toBe(refused0 + 1);
    expect(sampleValue(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/task-instances', status: '409' })).toBe(refused0 + 1);
    // Raw paths never become labels.
    expect(samples.filter((s) => s.labels.route !== undefined && /[0-9a-f]{8}-[0-9a-f]{4}/.test(s.labels.route))).toEqual([]);
  });

  it('exposes the connection pool and the retry-budget refusal counter', async () => {
    const samples = await scrape();
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      'db_pool_connections_used',
      'db_pool_connections_free',
      'db_pool_pending_acquires',
      'db_pool_pending_creates',
      'db_pool_connections_max',
    ]) {
      expect(names).toContain(name);
    }
    expect(sampleValue(samples, 'db_pool_connections_max')).toBe(t.config.database.poolMax);
    expect((await problemHttp(t.baseUrl, 'GET', '/metrics')).text).toContain('# TYPE db_retry_budget_refusals_total counter');
  });

  it('counts a pool connection as used while a unit of work holds it, and as free again once it is released', async () => {
    const pool = async () => {
      const samples = await scrape();
      return { used: sampleValue(samples, 'db_pool_connections_used'), free: sampleValue(samples, 'db_pool_connections_free') };
    };
    const before = await pool();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const em = t.app.get(MikroORM).em.fork() as EntityManager;
    const work = em.transactional(async (tx) => {
      await tx.execute('select 1');
      holding();
      await released;
    });
    await held;
    const during = await pool();
    release();
    await work;
    const after = await pool();
    expect(during.used - before.used).toBe(1);
    // Released to the pool, not closed: the connection that was lent is idle again.
    expect(after.used).toBe(before.used);
    expect(after.free).toBe(during.free + 1);
  });

  it('counts the seconds the event loop was busy, growing with work done between scrapes', async () => {
    const before = sampleValue(await scrape(), 'nodejs_eventloop_active_seconds_total');
    // Keep the loop busy for ~50 ms of this (in-process) service's thread.
    const until = Date.now() + 50;
    while (Date.now() < until) Math.sqrt(Math.random());
    const after = sampleValue(await scrape(), 'nodejs_eventloop_active_seconds_total');
    expect(after - before).toBeGreaterThanOrEqual(0.045);
  });

  it('never writes rendered-field values, bodies or tokens to the log', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('nolog'), run_id: 'run', task_id: 'task' });
    const value = `value-${randomUUID()}`;
    const secret = `secret-${randomUUID()}`;
    // A real token (so the requests are authorized) and a cookie the service ignores.
    const token = await executionToken(ti.id);
    const cookie = `session-${randomUUID()}`;
    const auth = { authorization: `Bearer ${token}`, cookie };
    const ok = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { cmd: value, env: { PASSWORD: secret } }, auth);
    expect(ok.status).toBe(201);
    // Refused bodies, and an error on the path the unit of work retries.
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, `{"cmd":"${value}"`, auth)).status).toBe(422);
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, [value], auth)).status).toBe(422);
    const other = randomUUID();
    expect(
      (
        await problemHttp(
          t.baseUrl,
          'PUT',
          `/execution/task-instances/${other}/rtif`,
          { cmd: value },
          { ...auth, authorization: `Bearer ${await executionToken(other)}` },
        )
      ).status,
    ).toBe(404);
    // Refused tokens are not logged either.
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { cmd: value }, { authorization: `Bearer ${token}x` })).status).toBe(
      401,
    );
    const all = logs.raw.join('\n');
    // Each line names its correlation id at most once (no duplicate JSON keys).
    expect(logs.raw.filter((l) => l.split('"correlation_id"').length > 2)).toEqual([]);
    expect(all).toContain(ok.headers.get('correlation-id'));
    for (const needle of [value, secret, token, token.split('.')[2], cookie]) expect(all).not.toContain(needle);
  });

  it('serves liveness and readiness', async () => {
    const live = await problemHttp(t.baseUrl, 'GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const ready = await problemHttp(t.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
    // Probe lines are written at debug level, so production (info) logs are not flooded.
    const id = ready.headers.get('correlation-id')!;
    expect(linesOf(id)).toEqual([expect.objectContaining({ level: 'debug', route: '/health/ready', status: 200 })]);
  });
});
