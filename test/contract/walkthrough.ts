// The README's walk-through, written as a client author would: against types generated from
// /openapi.json by openapi-typescript, calling the service through openapi-fetch. Type-checked and
// run by test/e2e/generated-client.e2e-spec.ts. Nothing here is hand-typed: every path, body and
// response shape comes from the OpenAPI document.
import createClient from 'openapi-fetch';
import type { components, paths } from '../../.data/contract/openapi';

type TaskInstance = components['schemas']['TaskInstanceDto'];
type Problem = components['schemas']['TaskInstanceProblemDto'];
/** Execution routes answer Airflow's error body (what the Task SDK parses) unless asked for problem details. */
type AirflowError = components['schemas']['HTTPExceptionResponse'];

export interface WalkThroughResult {
  created: TaskInstance;
  conflictStatus: number;
  conflict: Problem;
  tokenStatus: number;
  runStatus: number;
  runContext: Record<string, unknown>;
  heartbeatStatus: number;
  putStatus: number;
  putMessage: string;
  xcomSetStatus: number;
  xcomSetMessage: string;
  xcomGetStatus: number;
  xcom: { key: string; value: unknown };
  successStatus: number;
  lateHeartbeatStatus: number;
  lateHeartbeat: AirflowError;
  renderedFields: Record<string, unknown>;
  controlPlaneWithTaskTokenStatus: number;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** `adminToken`: what `npm start` prints locally (a token with scope `admin`). */
export async function walkThrough(baseUrl: string, names: { dag_id: string; run_id: string; task_id: string }, adminToken: string): Promise<WalkThroughResult> {
  const client = createClient<paths>({ baseUrl });
  const admin = bearer(adminToken);

  // 1. Create a task instance (its dag run is created when absent).
  const created = await client.POST('/api/v1/task-instances', { body: names, headers: admin });
  if (created.data === undefined) throw new Error(`create failed: ${created.response.status}`);
  const id: string = created.data.id;
  const path = { task_instance_id: id };

  // 2. Creating the same task instance again is a real conflict, typed as problem details.
  const again = await client.POST('/api/v1/task-instances', { body: names, headers: admin });
  if (again.error === undefined) throw new Error(`expected a conflict, got ${again.response.status}`);

  // 3. The scheduler gets a workload token for it.
  const issued = await client.POST('/api/v1/task-instances/{task_instance_id}/token', { params: { path }, body: {}, headers: admin });
  if (issued.data === undefined) throw new Error(`token failed: ${issued.response.status}`);

  // 4. A worker starts it with that token; the answer carries the execution token for what follows.
  const worker = { hostname: 'worker-1', pid: 4242 };
  const run = await client.PATCH('/execution/task-instances/{task_instance_id}/run', {
    params: { path },
    body: { state: 'running', ...worker, unixname: 'airflow', start_date: '2026-11-25T10:00:00Z' },
    headers: bearer(issued.data.access_token),
  });
  if (run.data === undefined) throw new Error(`run failed: ${run.response.status}`);
  const executionToken = run.response.headers.get('refreshed-api-token');
  if (executionToken === null) throw new Error('no Refreshed-API-Token on /run');
  const task = bearer(executionToken);

  // 5. It heartbeats while it runs.
  const heartbeat = await client.PUT('/execution/task-instances/{task_instance_id}/heartbeat', { params: { path }, body: worker, headers: task });

  // 6. It records its rendered fields.
  const put = await client.PUT('/execution/task-instances/{task_instance_id}/rtif', {
    params: { path },
    body: { bash_command: 'echo hi', env: { API_TOKEN: 's3cr3t', TARGET: 'prod' } },
    headers: task,
  });
  if (put.data === undefined) throw new Error(`put failed: ${put.response.status}`);

  // 7. It pushes an XCom for downstream tasks (any JSON value) and reads it back.
  const xcomPath = { path: { ...names, key: 'return_value' } };
  const pushed = await client.POST('/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}', {
    params: xcomPath,
    body: { rows: 42, files: ['a.csv'] },
    headers: task,
  });
  if (pushed.data === undefined) throw new Error(`xcom set failed: ${pushed.response.status}`);
  const pulled = await client.GET('/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}', { params: xcomPath, headers: task });
  if (pulled.data === undefined) throw new Error(`xcom get failed: ${pulled.response.status}`);

  // 8. It finishes: running → success.
  const success = await client.PATCH('/execution/task-instances/{task_instance_id}/state', {
    params: { path },
    body: { state: 'success', end_date: '2026-11-25T10:05:00Z' },
    headers: task,
  });

  // 9. A heartbeat now tells the worker to stop (Airflow's typed `detail`, as the Task SDK reads it).
  const late = await client.PUT('/execution/task-instances/{task_instance_id}/heartbeat', { params: { path }, body: worker, headers: task });
  if (late.error === undefined) throw new Error(`expected not_running, got ${late.response.status}`);

  // 10. Read the rendered fields back (admin): sensitive keys were redacted before they were stored.
  const read = await client.GET('/api/v1/task-instances/{task_instance_id}/rendered-fields', { params: { path }, headers: admin });
  if (read.data === undefined) throw new Error(`read failed: ${read.response.status}`);

  // 11. A task's token does not reach the control plane.
  const denied = await client.GET('/api/v1/task-instances/{task_instance_id}', { params: { path }, headers: task });

  return {
    created: created.data,
    conflictStatus: again.response.status,
    conflict: again.error,
    tokenStatus: issued.response.status,
    runStatus: run.response.status,
    runContext: run.data as unknown as Record<string, unknown>,
    heartbeatStatus: heartbeat.response.status,
    putStatus: put.response.status,
    putMessage: put.data.message,
    xcomSetStatus: pushed.response.status,
    xcomSetMessage: pushed.data.message,
    xcomGetStatus: pulled.response.status,
    xcom: pulled.data,
    successStatus: success.response.status,
    lateHeartbeatStatus: late.response.status,
    lateHeartbeat: late.error as AirflowError,
    renderedFields: read.data.rendered_fields,
    controlPlaneWithTaskTokenStatus: denied.response.status,
  };
}
