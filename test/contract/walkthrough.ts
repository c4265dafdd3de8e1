// The README's walk-through, written as a client author would: against types generated from
// /openapi.json by openapi-typescript, calling the service through openapi-fetch. Type-checked and
// run by test/e2e/generated-client.e2e-spec.ts. Nothing here is hand-typed: every path, body and
// response shape comes from the OpenAPI document.
import createClient from 'openapi-fetch';
import type { components, paths } from '../../.data/contract/openapi';

type TaskInstance = components['schemas']['TaskInstanceDto'];
type Problem = components['schemas']['ProblemDto'];

export interface WalkThroughResult {
  created: TaskInstance;
  putStatus: number;
  putMessage: string;
  renderedFields: Record<string, unknown>;
  conflictStatus: number;
  conflict: Problem;
  runStatus: number;
  runContext: Record<string, unknown>;
  heartbeatStatus: number;
  rtifAgainStatus: number;
  successStatus: number;
  lateHeartbeatStatus: number;
  lateHeartbeat: Problem;
}

/** `headers` go on every call (e.g. `Authorization` once the API requires a token). */
export async function walkThrough(
  baseUrl: string,
  names: { dag_id: string; run_id: string; task_id: string },
  headers: Record<string, string> = {},
): Promise<WalkThroughResult> {
  const client = createClient<paths>({ baseUrl, headers });

  // 1. Create a task instance (its dag run is created when absent).
  const created = await client.POST('/api/v1/task-instances', { body: names });
  if (created.data === undefined) throw new Error(`create failed: ${created.response.status}`);
  const id: string = created.data.id;

  // 2. Write its rendered fields, as a worker does.
  const put = await client.PUT('/execution/task-instances/{task_instance_id}/rtif', {
    params: { path: { task_instance_id: id } },
    body: { bash_command: 'echo hi', env: { API_TOKEN: 's3cr3t', TARGET: 'prod' } },
  });
  if (put.data === undefined) throw new Error(`put failed: ${put.response.status}`);

  // 3. Read them back: sensitive keys are redacted before they are stored.
  const read = await client.GET('/api/v1/task-instances/{task_instance_id}/rendered-fields', {
    params: { path: { task_instance_id: id } },
  });
  if (read.data === undefined) throw new Error(`read failed: ${read.response.status}`);

  // 4. Creating the same task instance again is a real conflict, typed as problem details.
  const again = await client.POST('/api/v1/task-instances', { body: names });
  if (again.error === undefined) throw new Error(`expected a conflict, got ${again.response.status}`);

  // 5. A worker starts it: queued → running; the answer is the run context.
  const worker = { hostname: 'worker-1', pid: 4242 };
  const run = await client.PATCH('/execution/task-instances/{task_instance_id}/run', {
    params: { path: { task_instance_id: id } },
    body: { state: 'running', ...worker, unixname: 'airflow', start_date: '2026-11-25T10:00:00Z' },
  });
  if (run.data === undefined) throw new Error(`run failed: ${run.response.status}`);

  // 6. It heartbeats while it runs.
  const heartbeat = await client.PUT('/execution/task-instances/{task_instance_id}/heartbeat', {
    params: { path: { task_instance_id: id } },
    body: worker,
  });

  // 7. It records its rendered fields (as in step 2).
  const rtifAgain = await client.PUT('/execution/task-instances/{task_instance_id}/rtif', {
    params: { path: { task_instance_id: id } },
    body: { bash_command: 'echo hi', env: { API_TOKEN: 's3cr3t', TARGET: 'prod' } },
  });

  // 8. It finishes: running → success.
  const success = await client.PATCH('/execution/task-instances/{task_instance_id}/state', {
    params: { path: { task_instance_id: id } },
    body: { state: 'success', end_date: '2026-11-25T10:05:00Z' },
  });

  // 9. A heartbeat now tells the worker to stop.
  const late = await client.PUT('/execution/task-instances/{task_instance_id}/heartbeat', {
    params: { path: { task_instance_id: id } },
    body: worker,
  });
  if (late.error === undefined) throw new Error(`expected not_running, got ${late.response.status}`);

  return {
    runStatus: run.response.status,
    runContext: run.data as unknown as Record<string, unknown>,
    heartbeatStatus: heartbeat.response.status,
    rtifAgainStatus: rtifAgain.response.status,
    successStatus: success.response.status,
    lateHeartbeatStatus: late.response.status,
    lateHeartbeat: late.error as Problem,
    created: created.data,
    putStatus: put.response.status,
    putMessage: put.data.message,
    renderedFields: read.data.rendered_fields,
    conflictStatus: again.response.status,
    conflict: again.error,
  };
}
