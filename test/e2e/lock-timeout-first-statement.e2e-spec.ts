import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Module, Post } from '@nestjs/common';
import { Endpoint } from '../../src/common/openapi/endpoint.decorator';
import { DomainError } from '../../src/common/problem/domain-error';
import { UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';
import { lockTimeoutSetting } from '../../src/common/unit-of-work/unit-of-work.runner';
import { onStatement } from '../../src/database/pg-adapter';
import { http, startTestApp, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

const DOC = { summary: 'Test-only lock-timeout route', success: { status: 201, description: 'Done.' } };

/** Test-only routes with `lockTimeout: 'first-statement'`, used right and wrong. */
@Controller('test/lock-timeout')
class LockTimeoutRoutesController {
  constructor(private readonly em: EntityManager) {}

  @Post('right')
  @UnitOfWork({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_right' })
  async right(): Promise<{ lock_timeout: string }> {
    await this.em.execute(`select ${lockTimeoutSetting(1234)} as lock_timeout`);
    const [row] = await this.em.execute<{ lock_timeout: string }[]>(`select current_setting('lock_timeout') as lock_timeout`);
    return row;
  }

  /** A copy of the above that forgot the setting. */
  @Post('wrong')
  @UnitOfWork({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_wrong' })
  async wrong(): Promise<{ lock_timeout: string }> {
    const [row] = await this.em.execute<{ lock_timeout: string }[]>(`select current_setting('lock_timeout') as lock_timeout, 'forgot_the_setting' as marker`);
    return row;
  }

  /** Forgot it, and swallows the error it gets: the unit of work must fail anyway. */
  @Post('wrong-swallowed')
  @UnitOfWork({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_wrong_swallowed' })
  async wrongSwallowed(): Promise<{ swallowed: boolean }> {
    try {
      await this.em.execute(`select 'forgot_the_setting_swallowed' as marker`);
    } catch {
      return { swallowed: true };
    }
    return { swallowed: false };
  }

  /** Refuses the request before its first statement (as a validation error inside the unit of work does). */
  @Post('fails-first')
  @UnitOfWork({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_fails_first' })
  async failsFirst(): Promise<never> {
    throw new DomainError('not_found', 'Nothing to do.', 'not_found');
  }

  /** The runner's default sets the timeout itself: any first statement is fine. */
  @Post('runner')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_runner' })
  async runner(): Promise<{ lock_timeout: string }> {
    const [row] = await this.em.execute<{ lock_timeout: string }[]>(`select current_setting('lock_timeout') as lock_timeout`);
    return row;
  }
}

@Module({ controllers: [LockTimeoutRoutesController] })
class LockTimeoutRoutesModule {}

describe("lockTimeout: 'first-statement' is enforced (real PostgreSQL)", () => {
  let t: TestApp;
  const sent: string[] = [];
  let stop: () => void;
  beforeAll(async () => {
    t = await startTestApp({ imports: [LockTimeoutRoutesModule], env: { DB_LOCK_TIMEOUT_MS: '2500', DB_POOL_MAX: '3', DB_CONNECT_TIMEOUT_MS: '1000' } });
    stop = onStatement((sql) => sent.push(sql));
  });
  afterAll(async () => {
    stop();
    await t.close();
  });

  it('runs a handler whose first statement selects the setting, with that lock timeout in force', async () => {
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/right');
    expect([res.status, res.body]).toEqual([201, { lock_timeout: '1234ms' }]);
  });

  it('refuses, unsent, a first statement without the setting: 500, nothing of it in the answer', async () => {
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/wrong');
    expect(res.status).toBe(500);
    expect(res.body.reason).toBe('internal_error');
    expect(res.text).not.toMatch(/lock_timeout|forgot_the_setting|select/i);
    expect(sent.some((sql) => sql.includes('forgot_the_setting'))).toBe(false);
  });

  it('fails the unit of work even when the handler swallows the refusal', async () => {
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/wrong-swallowed');
    expect([res.status, res.body.reason]).toEqual([500, 'internal_error']);
    expect(sent.some((sql) => sql.includes('forgot_the_setting_swallowed'))).toBe(false);
  });

  it('lets ROLLBACK through when the handler fails before its first statement: no connection is left in its transaction', async () => {
    // More failures than the pool has connections (DB_POOL_MAX 3): a refused ROLLBACK would keep
    // each connection in its transaction, and the last requests would wait for the pool.
    for (let i = 0; i < 8; i++) {
      const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/fails-first');
      expect([res.status, res.body.reason]).toEqual([404, 'not_found']);
    }
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/right');
    expect([res.status, res.body]).toEqual([201, { lock_timeout: '1234ms' }]);
    const stuck = await withDirect(async (c) => {
      const { rows } = await c.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`);
      return rows[0].n as number;
    });
    expect(stuck).toBe(0);
  });

  it('leaks no connection after refusing a misused first statement (more misuses than the pool has connections)', async () => {
    for (let i = 0; i < 8; i++) expect((await http(t.baseUrl, 'POST', '/test/lock-timeout/wrong')).status).toBe(500);
    expect((await http(t.baseUrl, 'POST', '/test/lock-timeout/right')).status).toBe(201);
  });

  it("leaves the runner's default alone: it sets the configured timeout itself", async () => {
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/runner');
    expect([res.status, res.body]).toEqual([201, { lock_timeout: '2500ms' }]);
  });
});
