import { rmSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/settings';
import { runMigrations } from '../../src/database/migrate';
import { freePort, PostgresProcess } from '../support/postgres-process';
import { createTaskInstance, http, LogCapture, problemHttp, uniqueId } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';

/**
 * The database goes away and comes back while the service runs. This file starts its own embedded
 * PostgreSQL (the suite's shared database is never stopped) and stops and restarts it under the
 * running app.
 */
describe('database outage (dedicated embedded PostgreSQL, stopped and restarted under the app)', () => {
  const dataDir = '.data/test-postgres-outage';
  let pg: PostgresProcess;
  let app: INestApplication;
  let baseUrl: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    pg = new PostgresProcess(dataDir, await freePort());
    await pg.start();
    await pg.createDatabase('outage');
    const url = pg.url('outage');
    const config = loadAppConfig({
      DATABASE_URL: url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      // Fail fast: these bound every request's wait while the database is down.
      DB_CONNECT_TIMEOUT_MS: '1000',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
    });
    await runMigrations(config, url);
    app = await createApp({ config, databaseUrl: url, logDestination: logs });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await pg?.stop();
  });

  it('readiness and writes answer 503 problem details with Retry-After while it is down, and recover without a restart', async () => {
    const ti = await createTaskInstance(baseUrl, { dag_id: uniqueId('outage'), run_id: 'run', task_id: 'task' });
    expect((await http(baseUrl, 'GET', '/health/ready')).status).toBe(200);
    expect((await http(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { before: true })).status).toBe(201);

    await pg.stop();

    const ready = await http(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body).toEqual({
      type: 'urn:task-execution-api:problem:not_ready',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is unreachable.',
      instance: '/health/ready',
      reason: 'not_ready',
      correlation_id: ready.headers.get('correlation-id'),
      database: 'down',
      migrations: 'applied',
    });

    // Pooled connections died with the server and new ones are refused: both are 503s.
    for (let i = 0; i < 3; i++) {
      const put = await problemHttp(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { during: i });
      expect(put.status).toBe(503);
      expect(put.headers.get('retry-after')).toBe('5');
      expect(put.body).toEqual({
        type: 'urn:task-execution-api:problem:database_unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The database is unavailable. Retry later.',
        instance: `/execution/task-instances/${ti.id}/rtif`,
        reason: 'database_unavailable',
        correlation_id: put.headers.get('correlation-id'),
      });
    }
    // What the Task SDK gets (it retries any 5xx): Airflow's typed detail, Retry-After kept.
    const sdk = await http(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { during: 'sdk' });
    expect([sdk.status, sdk.headers.get('content-type'), sdk.headers.get('retry-after'), sdk.body]).toEqual([
      503,
      'application/json',
      '5',
      { detail: { reason: 'database_unavailable', message: 'The database is unavailable. Retry later.' } },
    ]);
    const read = await http(baseUrl, 'GET', `/api/v1/task-instances/${ti.id}`);
    expect(read.status).toBe(503);
    expect(read.body.reason).toBe('database_unavailable');
    // The process stayed up: liveness does not depend on the database.
    expect((await http(baseUrl, 'GET', '/health/live')).status).toBe(200);

    await pg.start();

    expect((await http(baseUrl, 'GET', '/health/ready')).status).toBe(200);
    const after = await http(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { after: true });
    expect(after.status).toBe(201);
    const fields = await http(baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
    expect(fields.status).toBe(200);
    expect(fields.body.rendered_fields).toEqual({ after: true });
    // No 500 was answered, and no unhandled error was logged. The capture did see this app's
    // requests (the 503s above), so the filter below had lines to look through.
    expect(logs.lines.filter((l) => l.msg === 'request completed' && l.status === 503).length).toBeGreaterThan(0);
    expect(logs.lines.filter((l) => l.status === 500 || l.msg === 'unhandled error')).toEqual([]);
  }, 120_000);
});
