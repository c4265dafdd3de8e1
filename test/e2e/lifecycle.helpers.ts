import { createTaskInstance, http, uniqueId, type CreatedTi, type HttpResult } from '../support/test-app';
import { ACCEPT_PROBLEM } from '../support/problem';
import { withDirect } from '../support/test-database';

/** Helpers for the lifecycle e2e files: real HTTP for the API, a direct connection to look at rows. */
export const WORKER = { hostname: 'worker-1', unixname: 'airflow', pid: 4242 };
export const START = '2026-11-25T10:00:00.000Z';

export function runBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { state: 'running', ...WORKER, start_date: START, ...over };
}

/**
 * The lifecycle routes over real HTTP. `headers` go with every call: by default the `Accept` that
 * asks for problem details, since these files assert the problem's content; the Airflow default
 * format is pinned in airflow-errors.e2e-spec.ts (which passes `{}`).
 */
export function lifecycle(baseUrl: string, headers: Record<string, string> = ACCEPT_PROBLEM) {
  const path = (id: string, route: string) => `/execution/task-instances/${id}/${route}`;
  return {
    path,
    newTi: (extra: Record<string, unknown> = {}): Promise<CreatedTi> =>
      createTaskInstance(baseUrl, { dag_id: uniqueId('lc'), run_id: 'run_1', task_id: 'task', ...extra }),
    run: (id: string, body: unknown = runBody()) => http(baseUrl, 'PATCH', path(id, 'run'), body, headers),
    state: (id: string, body: unknown) => http(baseUrl, 'PATCH', path(id, 'state'), body, headers),
    heartbeat: (id: string, body: unknown = { hostname: WORKER.hostname, pid: WORKER.pid }) => http(baseUrl, 'PUT', path(id, 'heartbeat'), body, headers),
    skip: (id: string, body: unknown) => http(baseUrl, 'PATCH', path(id, 'skip-downstream'), body, headers),
    previous: (id: string) => http(baseUrl, 'GET', path(id, 'previous-successful-dagrun'), undefined, headers),
    rtif: (id: string, body: unknown) => http(baseUrl, 'PUT', path(id, 'rtif'), body, headers),
    /** A task instance that a worker has just started (state running, WORKER's host and pid). */
    async running(extra: Record<string, unknown> = {}): Promise<CreatedTi> {
      const ti = await this.newTi(extra);
      const res = await this.run(ti.id);
      if (res.status !== 200) throw new Error(`run failed: ${res.status} ${res.text}`);
      return ti;
    },
  };
}

/** The whole problem body a typed error must have (see test/support/problem.ts). */
export { expectedProblem as problem } from '../support/problem';

export const GONE_DETAIL = 'Task Instance not found, it may have been moved to the Task Instance History table';

export async function tiRow(id: string): Promise<Record<string, any> | undefined> {
  return withDirect(async (c) => (await c.query('select * from task_instance where id = $1', [id])).rows[0]);
}

/** The live row of a task instance by its key (its id changes when a try is archived). */
export async function liveRow(ti: CreatedTi): Promise<Record<string, any>> {
  return withDirect(
    async (c) =>
      (
        await c.query('select * from task_instance where dag_id = $1 and run_id = $2 and task_id = $3 and map_index = $4', [
          ti.dag_id,
          ti.run_id,
          ti.task_id,
          ti.map_index,
        ])
      ).rows[0],
  );
}

/** What a scheduler or triggerer (not part of this service) does between tries: put the task back in the queue. */
export async function requeue(id: string): Promise<void> {
  await withDirect((c) => c.query(`update task_instance set state = 'queued', trigger_id = null, trigger_timeout = null where id = $1`, [id]));
}

export async function setState(id: string, state: string): Promise<void> {
  await withDirect((c) => c.query('update task_instance set state = $2 where id = $1', [id, state]));
}

export type { HttpResult };
