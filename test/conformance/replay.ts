import { randomUUID } from 'node:crypto';
import { http, uniqueId, type CreatedTi } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { adminToken, bearer, signToken } from '../support/tokens';
import { pydanticDatetime } from './models/pydantic';
import { SdkClient, type SdkResponse } from './sdk-client';
import type { SdkVersion } from './sdk-versions';
import { validate } from './sdk-versions';
import type { z } from 'zod';

/**
 * What a replay case gets: the service's address, the SDK version it plays, and the ways a worker
 * comes to hold a task instance (seeded through the control plane, as a scheduler would queue it).
 */
export interface ReplayContext {
  baseUrl: string;
  version: SdkVersion;
}

/** The worker a replay plays: what `get_hostname()`, `getuser()` and `os.getpid()` would give. */
export const WORKER = { hostname: 'worker-7.airflow.internal', unixname: 'airflow', pid: 31337 };

/**
 * A `[api_auth] jwt_secret` as Airflow generates it when none is configured (16 random bytes,
 * URL-safe base64 without padding: 22 characters); the replay's service is configured with the
 * same secret (`JWT_SECRET`), the one-line setup docs/airflow-compatibility.md describes.
 */
export const AIRFLOW_JWT_SECRET = 'q2V8nJ0xWbS4kTfZ7yHc1A';

/**
 * Tokens as Airflow's `JWTGenerator` mints them for a task (`airflow-core/src/airflow/api_fastapi/auth/tokens.py`,
 * reference §4): HS512 with the shared secret (`jwt_algorithm = GUESS`), `aud`
 * `urn:airflow.apache.org:task`, `sub` the task instance id, `scope` `workload` in the queued
 * workload (exchanged at `/run`) or `execution`, plus `iat`, `nbf`, `exp`, `jti`.
 */
export const tokens = {
  workload: (tiId: string) => airflowToken(tiId, 'workload'),
  execution: (tiId: string) => airflowToken(tiId, 'execution'),
};

function airflowToken(tiId: string, scope: 'workload' | 'execution'): Promise<string> {
  return signToken(tiId, scope, {
    header: { alg: 'HS512' },
    claims: { aud: 'urn:airflow.apache.org:task' },
    key: new TextEncoder().encode(AIRFLOW_JWT_SECRET),
  });
}

/** A task instance queued by the control plane, with a dag run as a scheduled run would have it. */
export async function queuedTi(ctx: ReplayContext, extra: Record<string, unknown> = {}): Promise<CreatedTi> {
  const res = await http<CreatedTi>(
    ctx.baseUrl,
    'POST',
    '/api/v1/task-instances',
    {
      dag_id: uniqueId(`sdk${ctx.version.sdk.replace('.', '')}`),
      run_id: 'scheduled__2026-11-24T00:00:00+00:00',
      task_id: 'extract',
      max_tries: 2,
      logical_date: '2026-11-24T00:00:00Z',
      run_after: '2026-11-25T00:00:00Z',
      data_interval_start: '2026-11-24T00:00:00Z',
      data_interval_end: '2026-11-25T00:00:00Z',
      run_type: 'scheduled',
      conf: {},
      ...extra,
    },
    bearer(await adminToken({ key: new TextEncoder().encode(AIRFLOW_JWT_SECRET) })),
  );
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${res.text}`);
  return res.body;
}

/**
 * The task as a worker holds it after `start`: the supervisor's client, created with the
 * workload token, has swapped it for the execution token `/run` answered in `Refreshed-API-Token`.
 */
export async function startedTi(ctx: ReplayContext, extra: Record<string, unknown> = {}): Promise<{ ti: CreatedTi; client: SdkClient; run: SdkResponse }> {
  const ti = await queuedTi(ctx, extra);
  const client = new SdkClient(ctx.baseUrl, ctx.version, await tokens.workload(ti.id));
  const run = await client.start(ti.id, ctx.version.requests.enterRunning({ ...WORKER, start_date: pydanticDatetime(new Date()) }));
  return { ti, client, run };
}

/** A client that holds an execution token for `tiId` (a task process's client after start). */
export async function clientFor(ctx: ReplayContext, tiId: string): Promise<SdkClient> {
  return new SdkClient(ctx.baseUrl, ctx.version, await tokens.execution(tiId));
}

/** The SDK parses every success body with JSON; the content type must say so (a charset is fine on success). */
export function expectJson(response: SdkResponse): void {
  expect(response.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
}

/** `Model.model_validate_json(resp.read())` of that version: fails the case with the pydantic-like issues. */
export function expectModel(model: z.ZodType, body: unknown): void {
  expect(validate(model, body)).toEqual({ ok: true });
}

/** A 2xx with no body (204, or Airflow's 200-empty for a repeated state). */
export function expectEmpty(response: SdkResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.text).toBe('');
}

/** An id no task instance ever had, for the 404 branches. */
export const unknownId = (): string => {
  const hex = randomUUID().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** Runs `call` and returns what it threw (the replay checks the SDK's classification of errors). */
export async function thrown(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to raise, it returned');
}

/** The control plane's admin token, signed with the replay's key. */
export async function admin(): Promise<{ authorization: string }> {
  return bearer(await adminToken({ key: new TextEncoder().encode(AIRFLOW_JWT_SECRET) }));
}

/**
 * What Airflow's scheduler does between a sensor's pokes (not part of this service): once the
 * reschedule date has passed, the task instance goes back to the queue.
 */
export async function schedulerRequeue(tiId: string): Promise<void> {
  await withDirect((c) => c.query(`update task_instance set state = 'queued' where id = $1`, [tiId]));
}
