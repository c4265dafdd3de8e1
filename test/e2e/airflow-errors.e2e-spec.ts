import { Controller, Module, Param, Patch, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TaskInstanceFrom } from '../../src/common/auth/task-instance-source';
import { IdempotencyKey } from '../../src/common/idempotency-keys/idempotency-key.decorator';
import { UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';
import { InvalidStateError } from '../../src/task-instances/task-instances.errors';
import { ACCEPT_PROBLEM, expectedProblem } from '../support/problem';
import { http, LogCapture, startTestApp, type HttpResult, type TestApp } from '../support/test-app';
import { bearer, executionToken, signToken, workloadToken } from '../support/tokens';
import { GONE_DETAIL, lifecycle, WORKER } from './lifecycle.helpers';
import { xcoms } from './xcom.helpers';

/**
 * Airflow's Task SDK reads an error only when `content-type` is exactly `application/json` and
 * the body has `detail` (`ServerResponseError.from_response`); every typed branch of the worker
 * depends on it. These tests pin that default on every execution error class, byte-exactly, and
 * the negotiation that gives RFC 9457 problem details to a client that asks for them.
 */

const AIRFLOW = 'application/json';
const PROBLEM = 'application/problem+json; charset=utf-8';
const END = '2026-11-25T10:05:00Z';

/** Test-only execution routes: a bug (the catch-all 500) and a keyed verdict (a stored 409). */
@Controller('execution/test-errors')
class ErrorRoutesController {
  @Post(':task_instance_id/boom')
  @TaskInstanceFrom({ param: 'task_instance_id' })
  boom(@Param('task_instance_id') id: string): never {
    // What a driver error looks like: SQL and a value, which must never reach the answer.
    throw new Error(`insert into secret_table values ('${id}', 'hunter2')`);
  }

  @Patch(':task_instance_id/verdict')
  @TaskInstanceFrom({ param: 'task_instance_id' })
  @UnitOfWork({ idempotent: false })
  @IdempotencyKey('required')
  verdict(): never {
    throw new InvalidStateError('running', 'TI was not in a state where it could be marked as running');
  }
}

@Module({ controllers: [ErrorRoutesController] })
class ErrorRoutesModule {}

/** The response is Airflow's: the exact header (no charset), the exact body, the correlation id echoed. */
function expectAirflow(res: HttpResult, status: number, body: unknown): void {
  expect({ status: res.status, type: res.headers.get('content-type'), body: res.body }).toEqual({ status, type: AIRFLOW, body });
  expect(res.headers.get('correlation-id')).toEqual(expect.any(String));
}

describe('errors on /execution/* in Airflow wire format (real PostgreSQL)', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  let xc: ReturnType<typeof xcoms>;
  const logs = new LogCapture();
  beforeAll(async () => {
    t = await startTestApp({ imports: [ErrorRoutesModule], env: { HTTP_MAX_BODY_BYTES: '2048', LOG_LEVEL: 'info' }, logDestination: logs });
    // No Accept: what the Task SDK sends.
    api = lifecycle(t.baseUrl, {});
    xc = xcoms(t.baseUrl, {});
  });
  afterAll(() => t.close());

  describe('typed errors: {"detail": {"reason", "message", ...}}', () => {
    it("/run on an unknown id: 404 not_found with Airflow's message", async () => {
      const id = randomUUID();
      expectAirflow(await api.run(id), 404, { detail: { reason: 'not_found', message: 'Task Instance not found', task_instance_id: id } });
    });

    it('/run while another pid runs it: 409 invalid_state with previous_state running (the SDK raises TaskAlreadyRunningError)', async () => {
      const ti = await api.running();
      const res = await api.run(ti.id, { state: 'running', ...WORKER, pid: 1, start_date: '2026-11-25T10:00:00Z' });
      expectAirflow(res, 409, {
        detail: { reason: 'invalid_state', message: 'TI was not in a state where it could be marked as running', previous_state: 'running' },
      });
    });

    it('/state on a finished task instance: 409 invalid_state with previous_state', async () => {
      const ti = await api.running();
      expect((await api.state(ti.id, { state: 'success', end_date: END })).status).toBe(204);
      expectAirflow(await api.state(ti.id, { state: 'failed', end_date: END }), 409, {
        detail: { reason: 'invalid_state', message: 'TI was not in the running state so it cannot be updated', previous_state: 'success' },
      });
    });

    it('/heartbeat: 409 running_elsewhere, 409 not_running, 404 (the SDK stops the task on these)', async () => {
      const ti = await api.running();
      expectAirflow(await api.heartbeat(ti.id, { hostname: 'worker-2', pid: WORKER.pid }), 409, {
        detail: { reason: 'running_elsewhere', message: 'TI is already running elsewhere', current_hostname: WORKER.hostname, current_pid: WORKER.pid },
      });
      expect((await api.state(ti.id, { state: 'success', end_date: END })).status).toBe(204);
      expectAirflow(await api.heartbeat(ti.id), 409, {
        detail: { reason: 'not_running', message: 'TI is no longer in the running state and task should terminate', current_state: 'success' },
      });
      const unknown = randomUUID();
      expectAirflow(await api.heartbeat(unknown), 404, { detail: { reason: 'not_found', message: 'Task Instance not found', task_instance_id: unknown } });
    });

    it('a try archived to history: 410 on /heartbeat and /rtif with the history message', async () => {
      const ti = await api.running();
      expect((await api.state(ti.id, { state: 'up_for_retry', end_date: END })).status).toBe(204);
      const gone = { detail: { reason: 'not_found', message: GONE_DETAIL, task_instance_id: ti.id } };
      expectAirflow(await api.heartbeat(ti.id), 410, gone);
      expectAirflow(await api.rtif(ti.id, { field: 'late' }), 410, gone);
      expectAirflow(await api.run(ti.id), 410, gone);
    });

    it('/rtif on an unknown id: 404 not_found', async () => {
      const id = randomUUID();
      expectAirflow(await api.rtif(id, { field: 'x' }), 404, { detail: { reason: 'not_found', message: 'Task Instance not found', task_instance_id: id } });
    });

    it('a missing XCom: 404 not_found with the key and map index (the SDK pulls it as None)', async () => {
      const ti = await xc.newTi();
      const res = await xc.get(ti, 'absent');
      expectAirflow(res, 404, {
        detail: {
          reason: 'not_found',
          message: `XCom with key="absent" map_index=-1 not found for task "push" in DAG run "run_1" of ${JSON.stringify(ti.dag_id)}`,
          key: 'absent',
          map_index: -1,
        },
      });
    });
  });

  describe('request validation: FastAPI\'s 422 list {"detail": [{"loc", "msg", "type"}]}', () => {
    it('body fields: wrong type, missing, unknown', async () => {
      const ti = await api.newTi();
      expectAirflow(await api.run(ti.id, { state: 'running', ...WORKER, pid: 'x', start_date: '2026-11-25T10:00:00Z' }), 422, {
        detail: [{ loc: ['body', 'pid'], msg: 'pid must be an integer number', type: 'value_error' }],
      });
      expectAirflow(await api.heartbeat(ti.id, { hostname: 'h' }), 422, { detail: [{ loc: ['body', 'pid'], msg: 'pid is required', type: 'missing' }] });
      expectAirflow(await api.heartbeat(ti.id, { ...{ hostname: 'h', pid: 1 }, extra: 1 }), 422, {
        detail: [{ loc: ['body', 'extra'], msg: 'extra is not allowed', type: 'extra_forbidden' }],
      });
    });

    it('a body that is not an object, and malformed JSON', async () => {
      const ti = await api.newTi();
      expectAirflow(await api.rtif(ti.id, [1]), 422, { detail: [{ loc: ['body'], msg: 'must be a JSON object, got an array', type: 'value_error' }] });
      expectAirflow(await api.rtif(ti.id, '{"a":'), 422, { detail: [{ loc: ['body'], msg: 'malformed JSON', type: 'json_invalid' }] });
    });

    it('a path parameter and a query parameter', async () => {
      expectAirflow(await http(t.baseUrl, 'PUT', '/execution/task-instances/not-a-uuid/rtif', { a: 1 }), 422, {
        detail: [{ loc: ['path', 'task_instance_id'], msg: 'must be a UUID', type: 'uuid_parsing' }],
      });
      const ti = await xc.newTi();
      expectAirflow(await xc.get(ti, 'k', '?map_index=-2'), 422, {
        detail: [{ loc: ['query', 'map_index'], msg: 'map_index must not be less than -1', type: 'value_error' }],
      });
    });
  });

  describe('refused before the router', () => {
    it('413 over the body limit, 415 for a non-JSON body', async () => {
      const ti = await api.newTi();
      expectAirflow(await api.rtif(ti.id, { field: 'x'.repeat(4096) }), 413, {
        detail: { reason: 'payload_too_large', message: 'The request body is larger than the limit of 2048 bytes.', limit_bytes: 2048 },
      });
      const res = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), 'a=1', { 'content-type': 'text/plain' });
      expectAirflow(res, 415, { detail: { reason: 'unsupported_media_type', message: 'Request bodies must be JSON (Content-Type: application/json).' } });
    });

    it('an unknown route under /execution: 404 {"detail": "Not Found"}', async () => {
      expectAirflow(await http(t.baseUrl, 'GET', '/execution/no-such-route'), 404, { detail: 'Not Found' });
      expectAirflow(await http(t.baseUrl, 'DELETE', `/execution/task-instances/${randomUUID()}/run`), 404, { detail: 'Not Found' });
    });
  });

  describe("auth: Airflow's security.py strings", () => {
    it('no token: 401 "Missing auth token", the bearer challenge kept', async () => {
      const ti = await api.newTi();
      const res = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { a: 1 }, { authorization: undefined });
      expectAirflow(res, 401, { detail: 'Missing auth token' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="task-execution-api"');
    });

    it('an expired token: 401 "Invalid auth token: …"', async () => {
      const ti = await api.newTi();
      const token = await signToken(ti.id, 'execution', { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
      expectAirflow(await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { a: 1 }, bearer(token)), 401, {
        detail: 'Invalid auth token: The token has expired.',
      });
    });

    it("another task instance's token: 403; a workload token on RTIF: 403 naming the token type", async () => {
      const ti = await api.newTi();
      expectAirflow(await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { a: 1 }, bearer(await executionToken(randomUUID()))), 403, {
        detail: 'Token subject does not match task instance ID',
      });
      expectAirflow(await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { a: 1 }, bearer(await workloadToken(ti.id))), 403, {
        detail: "Token type 'workload' not allowed for this endpoint. Allowed types: execution",
      });
    });
  });

  describe('server errors', () => {
    it('a bug: 500 {"message": "Internal server error", "correlation-id"} with nothing of the error in it', async () => {
      const id = randomUUID();
      const correlationId = randomUUID();
      const res = await http(t.baseUrl, 'POST', `/execution/test-errors/${id}/boom`, undefined, {
        ...bearer(await executionToken(id)),
        'correlation-id': correlationId,
      });
      expectAirflow(res, 500, { message: 'Internal server error', 'correlation-id': correlationId });
      expect(res.headers.get('correlation-id')).toBe(correlationId);
      expect(res.text).not.toMatch(/secret_table|hunter2|insert/i);
      expect(logs.lines.some((l) => l.msg === 'unhandled error' && l.correlation_id === correlationId)).toBe(true);
    });
  });

  describe('negotiation', () => {
    const notFound = async (accept: string | undefined) => {
      const id = randomUUID();
      return { id, res: await http(t.baseUrl, 'PATCH', api.path(id, 'run'), { state: 'running', ...WORKER, start_date: END }, accept ? { accept } : {}) };
    };

    it.each([
      ['no Accept', undefined],
      ['*/*', '*/*'],
      ['application/*', 'application/*'],
      ['application/json', 'application/json'],
      ['text/html (neither offered)', 'text/html'],
      ['problem+json refused with q=0', 'application/problem+json;q=0, */*'],
      ['json preferred by q-value', 'application/problem+json;q=0.5, application/json'],
    ])('%s: Airflow', async (_name, accept) => {
      const { id, res } = await notFound(accept);
      expectAirflow(res, 404, { detail: { reason: 'not_found', message: 'Task Instance not found', task_instance_id: id } });
    });

    it.each([
      ['application/problem+json', 'application/problem+json'],
      ['problem+json preferred by q-value', 'application/json;q=0.5, application/problem+json'],
      ['problem+json first among equals', 'application/problem+json, application/json'],
    ])('%s: problem details', async (_name, accept) => {
      const { id, res } = await notFound(accept);
      expect([res.status, res.headers.get('content-type')]).toEqual([404, PROBLEM]);
      expect(res.body).toEqual(expectedProblem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, 'run'), { task_instance_id: id }));
    });

    it('the control plane answers problem details whatever Accept says', async () => {
      const id = randomUUID();
      for (const accept of [undefined, 'application/json', '*/*']) {
        const res = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${id}`, undefined, accept ? { accept } : {});
        expect([res.status, res.headers.get('content-type')]).toEqual([404, PROBLEM]);
        expect(res.body).toEqual(expectedProblem(404, 'not_found', `Task instance ${id} not found.`, `/api/v1/task-instances/${id}`, { task_instance_id: id }));
      }
    });

    it('validation and pre-router refusals follow the same rule', async () => {
      const ti = await api.newTi();
      const malformed = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), '{"a":', ACCEPT_PROBLEM);
      expect([malformed.status, malformed.headers.get('content-type')]).toEqual([422, PROBLEM]);
      expect(malformed.body).toEqual(
        expectedProblem(422, 'invalid_json', 'The request body is not valid JSON.', api.path(ti.id, 'rtif'), {
          errors: [{ path: '', message: 'malformed JSON' }],
        }),
      );
      const unknown = await http(t.baseUrl, 'GET', '/execution/no-such-route', undefined, ACCEPT_PROBLEM);
      expect([unknown.status, unknown.headers.get('content-type'), unknown.body.reason]).toEqual([404, PROBLEM, 'not_found']);
      const missing = await http(t.baseUrl, 'PUT', api.path(ti.id, 'rtif'), { a: 1 }, { authorization: undefined, ...ACCEPT_PROBLEM });
      expect(missing.body).toEqual(
        expectedProblem(401, 'missing_token', 'This route requires a bearer token (Authorization: Bearer <JWT>).', api.path(ti.id, 'rtif')),
      );
    });
  });

  describe('OpenAPI', () => {
    it("execution errors document Airflow's application/json first, then problem details; control-plane errors problem details only", async () => {
      const doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
      const run = doc.paths['/execution/task-instances/{task_instance_id}/run'].patch.responses;
      expect(Object.keys(run['409'].content)).toEqual(['application/json', 'application/problem+json']);
      expect(run['409'].content['application/json']).toEqual({
        schema: { $ref: '#/components/schemas/HTTPExceptionResponse' },
        examples: {
          invalid_state: {
            summary: 'invalid_state',
            value: { detail: { reason: 'invalid_state', message: 'TI was not in a state where it could be marked as running', previous_state: 'running' } },
          },
        },
      });
      expect(run['404'].content['application/json'].examples.not_found.value).toEqual({
        detail: { reason: 'not_found', message: 'Task Instance not found', task_instance_id: expect.any(String) },
      });
      expect(run['401'].content['application/json'].examples.missing_token.value).toEqual({ detail: 'Missing auth token' });
      expect(run['422'].content['application/json'].schema).toEqual({
        oneOf: [{ $ref: '#/components/schemas/HTTPValidationError' }, { $ref: '#/components/schemas/HTTPExceptionResponse' }],
      });
      expect(run['422'].content['application/json'].examples.validation_error.value).toEqual({
        detail: [{ loc: ['body', 'pid'], msg: 'pid must be an integer number', type: 'value_error' }],
      });
      // The problem examples keep their own members only (no Airflow wording leaks into them).
      expect(run['404'].content['application/problem+json'].examples.not_found.value).not.toHaveProperty('airflow');
      expect(JSON.stringify(doc)).not.toContain('x-airflow-wording');
      const create = doc.paths['/api/v1/task-instances'].post.responses;
      for (const status of ['401', '409', '422']) expect(Object.keys(create[status].content)).toEqual(['application/problem+json']);
      expect(doc.components.schemas.HTTPValidationError.properties.detail.items).toEqual({ $ref: '#/components/schemas/ValidationError' });
    });
  });

  describe('a stored Idempotency-Key verdict is kept neutral and rendered per request', () => {
    it('the first answer in Airflow format, a replay asking for problem details gets them, a replay without gets the same Airflow bytes', async () => {
      const id = randomUUID();
      const path = `/execution/test-errors/${id}/verdict`;
      const headers = { ...bearer(await executionToken(id)), 'idempotency-key': randomUUID() };
      const first = await http(t.baseUrl, 'PATCH', path, { a: 1 }, headers);
      const airflowBody = {
        detail: { reason: 'invalid_state', message: 'TI was not in a state where it could be marked as running', previous_state: 'running' },
      };
      expectAirflow(first, 409, airflowBody);
      const asProblem = await http(t.baseUrl, 'PATCH', path, { a: 1 }, { ...headers, ...ACCEPT_PROBLEM });
      expect([asProblem.status, asProblem.headers.get('content-type'), asProblem.headers.get('idempotent-replayed')]).toEqual([409, PROBLEM, 'true']);
      // The first request's instance and correlation id: a problem replay is the first answer's bytes.
      expect(asProblem.body).toEqual({
        ...expectedProblem(409, 'invalid_state', 'TI was not in a state where it could be marked as running', path, { previous_state: 'running' }),
        correlation_id: first.headers.get('correlation-id'),
      });
      const again = await http(t.baseUrl, 'PATCH', path, { a: 1 }, headers);
      expectAirflow(again, 409, airflowBody);
      expect([again.text, again.headers.get('idempotent-replayed')]).toEqual([first.text, 'true']);
    });
  });
});
