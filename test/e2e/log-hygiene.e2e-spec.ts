import { Body, Controller, Logger, Module, Param, Put, type LoggerService } from '@nestjs/common';
import { TaskInstanceFrom } from '../../src/common/auth/task-instance-source';
import { inspect } from 'node:util';
import { TaskInstanceIdParams } from '../../src/task-instances/task-instance-id.params';
import { createTaskInstance, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { adminToken, bearer, executionToken, nowSeconds, workloadToken } from '../support/tokens';

const SECRET_VALUE = 'rendered-secret-value-4f2a9c';

/** A handler that fails with the request body in its message, as careless code might. */
@Controller('execution/task-instances')
@TaskInstanceFrom({ param: 'task_instance_id' })
class ExplodingController {
  @Put(':task_instance_id/explode')
  explode(@Param() { task_instance_id: id }: TaskInstanceIdParams, @Body() body: unknown): never {
    throw new Error(`cannot process ${id}: ${JSON.stringify(body)}`);
  }
}

@Module({ controllers: [ExplodingController] })
class ExplodingModule {}

/** Records every log call at every level, arguments rendered the way a log sink would. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, args: unknown[]): void {
    this.lines.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 20 }))).join(' ')}`);
  }
  log(...args: unknown[]) {
    this.record('log', args);
  }
  error(...args: unknown[]) {
    this.record('error', args);
  }
  warn(...args: unknown[]) {
    this.record('warn', args);
  }
  debug(...args: unknown[]) {
    this.record('debug', args);
  }
  verbose(...args: unknown[]) {
    this.record('verbose', args);
  }
  fatal(...args: unknown[]) {
    this.record('fatal', args);
  }
}

describe('logs never contain tokens or rendered-field values', () => {
  let t: TestApp;
  const capture = new CapturingLogger();
  beforeAll(async () => {
    t = await startTestApp({ imports: [ExplodingModule] });
    Logger.overrideLogger(capture);
  });
  afterAll(async () => {
    Logger.overrideLogger(['error']);
    await t.close();
  });

  it('logs failures (refused tokens, a 500, a rejected value) without either', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('logs'), run_id: 'r', task_id: 't' });
    const other = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('logs'), run_id: 'r', task_id: 't' });
    const rtif = `/execution/task-instances/${ti.id}/rtif`;
    const body = { password: SECRET_VALUE, cmd: `echo ${SECRET_VALUE}`, env: { TOKEN: SECRET_VALUE } };
    const tokens = [
      await executionToken(ti.id),
      await executionToken(ti.id, { claims: { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 } }),
      await executionToken(ti.id, { key: new TextEncoder().encode('a-different-secret-that-is-long-enough') }),
      await executionToken(other.id),
      await workloadToken(ti.id),
      await adminToken(),
      await executionToken(ti.id, { claims: { iat: nowSeconds() - 590, exp: nowSeconds() + 10 } }),
    ];
    const statuses: number[] = [];
    for (const token of tokens) statuses.push((await problemHttp(t.baseUrl, 'PUT', rtif, body, bearer(token))).status);
    expect(statuses).toEqual([201, 401, 401, 403, 403, 403, 201]);
    const exploded = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/explode`, body, bearer(tokens[0]));
    expect(exploded.status).toBe(500);
    expect(exploded.text).not.toContain(SECRET_VALUE);
    const rejected = await problemHttp(t.baseUrl, 'PUT', rtif, { a: `${SECRET_VALUE}\u0000` }, bearer(tokens[0]));
    expect(rejected.body.reason).toBe('value_rejected');
    const wrongAdmin = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`, undefined, bearer(tokens[0]));
    expect(wrongAdmin.status).toBe(403);

    const logs = capture.lines.join('\n');
    // The capture works: the failures above were logged.
    expect(logs).toContain('unhandled error');
    expect(logs).toContain('request refused');
    expect(logs).toContain("check: 'signature'");
    expect(logs).not.toContain(SECRET_VALUE);
    for (const token of tokens) {
      // Any of the three parts would do: the signature alone is a bearer credential's secret half.
      for (const part of token.split('.')) expect(logs).not.toContain(part);
    }
  });
});
