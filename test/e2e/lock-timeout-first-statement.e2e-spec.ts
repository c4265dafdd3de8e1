import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Module, Post } from '@nestjs/common';
import { Endpoint } from '../../src/common/openapi/endpoint.decorator';
import { Idempotency } from '../../src/common/unit-of-work/idempotency.decorator';
import { lockTimeoutSetting } from '../../src/common/unit-of-work/unit-of-work.runner';
import { onStatement } from '../../src/database/pg-client';
import { http, startTestApp, type TestApp } from '../support/test-app';

const DOC = { summary: 'Test-only lock-timeout route', success: { status: 201, description: 'Done.' } };

/** Test-only routes with `lockTimeout: 'first-statement'`, used right and wrong. */
@Controller('test/lock-timeout')
class LockTimeoutRoutesController {
  constructor(private readonly em: EntityManager) {}

  @Post('right')
  @Idempotency({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_right' })
  async right(): Promise<{ lock_timeout: string }> {
    await this.em.execute(`select ${lockTimeoutSetting(1234)} as lock_timeout`);
    const [row] = await this.em.execute<{ lock_timeout: string }[]>(`select current_setting('lock_timeout') as lock_timeout`);
    return row;
  }

  /** A copy of the above that forgot the setting. */
  @Post('wrong')
  @Idempotency({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_wrong' })
  async wrong(): Promise<{ lock_timeout: string }> {
    const [row] = await this.em.execute<{ lock_timeout: string }[]>(`select current_setting('lock_timeout') as lock_timeout, 'forgot_the_setting' as marker`);
    return row;
  }

  /** Forgot it, and swallows the error it gets: the unit of work must fail anyway. */
  @Post('wrong-swallowed')
  @Idempotency({ idempotent: true, lockTimeout: 'first-statement' })
  @Endpoint({ ...DOC, operationId: 'lock_timeout_wrong_swallowed' })
  async wrongSwallowed(): Promise<{ swallowed: boolean }> {
    try {
      await this.em.execute(`select 'forgot_the_setting_swallowed' as marker`);
    } catch {
      return { swallowed: true };
    }
    return { swallowed: false };
  }

  /** The runner's default sets the timeout itself: any first statement is fine. */
  @Post('runner')
  @Idempotency({ idempotent: true })
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
    t = await startTestApp({ imports: [LockTimeoutRoutesModule], env: { DB_LOCK_TIMEOUT_MS: '2500' } });
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

  it("leaves the runner's default alone: it sets the configured timeout itself", async () => {
    const res = await http(t.baseUrl, 'POST', '/test/lock-timeout/runner');
    expect([res.status, res.body]).toEqual([201, { lock_timeout: '2500ms' }]);
  });
});
