import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { EMBEDDED_PG_MAJOR } from '../../src/database/embedded-postgres';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/settings';
import { runMigrations } from '../../src/database/migrate';
import { parseMetrics, sampleValue } from '../support/metrics-text';
import { freePort, PostgresProcess } from '../support/postgres-process';
import { createTaskInstance, type HttpResult, LogCapture, problemHttp, uniqueId } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';

/**
 * The database restarts under real load, the way the 500s of issue 14 were found: 32 connections
 * write RTIF without pause, PostgreSQL is stopped (fast shutdown: sessions are terminated with
 * 57P01, in-flight statements see their socket close) for a few seconds mid-way, then started again.
 * Every answer must be a 201 or a 503 problem with Retry-After; no acknowledged write may be lost;
 * the service must recover without help.
 */
describe('database restart under load (dedicated embedded PostgreSQL)', () => {
  const dataDir = '.data/test-postgres-restart';
  const WRITERS = 32;
  // Bounded: load before, during and after the outage, then every loop stops.
  const LOAD_BEFORE_MS = 3000;
  const DOWN_MS = 4000;
  const LOAD_AFTER_MS = 4000;
  const MAX_REQUESTS_PER_WRITER = 5000;
  let pg: PostgresProcess;
  let app: INestApplication;
  let baseUrl: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    pg = new PostgresProcess(dataDir, await freePort());
    await pg.start();
    await pg.createDatabase('restart');
    const url = pg.url('restart');
    // The suite's target version: Debian's 15 in CI's DATABASE_URL pass, the embedded one otherwise.
    expect(await serverMajor(url)).toBe(pg.kind === 'debian-15' ? 15 : EMBEDDED_PG_MAJOR);
    const config = loadAppConfig({
      DATABASE_URL: url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      DB_POOL_MAX: '10',
      DB_CONNECT_TIMEOUT_MS: '1000',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
    });
    await runMigrations(config, url);
    app = await createApp({ config, databaseUrl: url, logDestination: logs });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }, 120_000);

  afterAll(async () => {
    // The writers' keep-alive connections would hold the listener open.
    (app?.getHttpServer() as import('node:http').Server | undefined)?.closeAllConnections();
    await app?.close();
    await pg?.stop();
  }, 60_000);

  it('answers only 201 or 503 + Retry-After through a fast shutdown and restart, loses no acknowledged write, and counts the failures by cause', async () => {
    const dagId = uniqueId('restart');
    const tis = await Promise.all(Array.from({ length: WRITERS }, (_, i) => createTaskInstance(baseUrl, { dag_id: dagId, run_id: 'run', task_id: `t${i}` })));
    const statuses = new Map<number, number>();
    const unexpected: HttpResult[] = [];
    const lastAcknowledged: number[] = new Array<number>(WRITERS).fill(-1);
    let stop = false;

    const writer = async (i: number) => {
      for (let seq = 0; !stop && seq < MAX_REQUESTS_PER_WRITER; seq++) {
        const res = await problemHttp(baseUrl, 'PUT', `/execution/task-instances/${tis[i].id}/rtif`, { seq });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) lastAcknowledged[i] = seq;
        else if (
          res.status !== 503 ||
          res.headers.get('retry-after') === null ||
          res.headers.get('content-type') !== 'application/problem+json; charset=utf-8'
        ) {
          unexpected.push(res);
        }
        // While the database is down every answer is fast: pace the loop so it stays a load, not a spin.
        if (res.status === 503) await new Promise((r) => setTimeout(r, 20));
      }
    };
    const load = Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
    try {
      await new Promise((r) => setTimeout(r, LOAD_BEFORE_MS));
      await pg.stop();
      await new Promise((r) => setTimeout(r, DOWN_MS));
      await pg.start();
      await new Promise((r) => setTimeout(r, LOAD_AFTER_MS));
    } finally {
      stop = true;
      await load;
    }

    expect(unexpected.map((r) => ({ status: r.status, body: r.body as unknown }))).toEqual([]);
    expect([...statuses.keys()].sort()).toEqual([201, 503]);
    // No acknowledged write was lost. (Writes are sequential per task instance, so a later write that
    // answered 503 may still have committed; the stored value is never older than the last 201.)
    const stored = await Promise.all(tis.map((ti) => problemHttp(baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`)));
    const lost = stored.map((r, i) => ({
      i,
      stored: (r.body as { rendered_fields?: { seq?: number } }).rendered_fields?.seq ?? -1,
      acknowledged: lastAcknowledged[i],
    }));
    expect(lost.filter((w) => w.acknowledged < 0 || w.stored < w.acknowledged)).toEqual([]);
    // It recovered by itself: every writer had a write acknowledged after the restart.
    const after = await Promise.all(tis.map((ti) => problemHttp(baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { seq: MAX_REQUESTS_PER_WRITER })));
    expect(after.map((r) => r.status)).toEqual(new Array(WRITERS).fill(201));

    const metrics = (await problemHttp(baseUrl, 'GET', '/metrics')).text;
    const samples = parseMetrics(metrics);
    // Counted by cause: at least the refused connections while it was down.
    expect(sampleValue(samples, 'db_unavailable_total', { cause: 'connection_refused' })).toBeGreaterThan(0);
    // Every pooled connection came back: none stayed checked out by a transaction whose BEGIN,
    // COMMIT or ROLLBACK failed as the server went away (kysely leaked those, the pool shrank for
    // good and could not be closed).
    expect(sampleValue(samples, 'db_pool_connections_used')).toBe(0);
    // No 500 was answered, and no unhandled error was logged. The capture did see this app's
    // requests (the 503s above), so the filter below had lines to look through.
    expect(logs.lines.filter((l) => l.msg === 'request completed' && l.status === 503).length).toBeGreaterThan(0);
    expect(logs.lines.filter((l) => l.status === 500 || l.msg === 'unhandled error')).toEqual([]);
  }, 120_000);
});

async function serverMajor(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return Math.floor(Number(rows[0].v) / 10_000);
  } finally {
    await client.end();
  }
}
