import { http, uniqueId } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { pydanticDatetime, pydanticDuration } from './models/pydantic';
import {
  admin,
  clientFor,
  expectEmpty,
  expectJson,
  expectModel,
  queuedTi,
  schedulerRequeue,
  startedTi,
  thrown,
  tokens,
  unknownId,
  WORKER,
  type ReplayContext,
} from './replay';
import { heartbeatOutcome, lookupOutcome, SdkClient, ServerResponseError, supervisorOutcome, TaskAlreadyRunningError } from './sdk-client';
import type { SdkLine } from './sdk-versions';

/**
 * Every call of the Task SDK's client (`task-sdk/src/airflow/sdk/api/client.py`, the 53 rows of
 * `task-sdk-conformance.md` §2, same numbers) with what the tier knows about it: since which API
 * version the SDK makes it, the issue that covers it when the service lacks it, where it differs,
 * and the replay cases that prove it. `docs/airflow-compatibility.md`'s table is rendered from this
 * list (`compatibilityTable`), and `compatibility.spec.ts` fails when the two drift or when a
 * call marked supported for a version has no case for it.
 */
export interface Call {
  n: number;
  /** The client method, as `client.<group>.<method>`. */
  method: string;
  /** Method and path relative to `execution_api_server_url`. */
  http: string;
  /** The API version that introduced the call (absent: every SDK version makes it). */
  since?: string;
  /** The service has no route: which issue covers it, or why none does. */
  notImplemented?: string;
  /** Why an SDK version gets something other than what Airflow gives (per version, or for all). */
  differs?: Partial<Record<SdkLine, string>>;
  cases?: Case[];
}

export interface Case {
  name: string;
  /** The SDK versions the case applies to (default: every version that makes the call). */
  only?: readonly SdkLine[];
  run(ctx: ReplayContext): Promise<void>;
}

const END = () => pydanticDatetime(new Date());

/** An active asset, registered through the control plane as a scheduler would when it parses the dag. */
async function registeredAsset(ctx: ReplayContext): Promise<{ name: string; uri: string }> {
  const asset = { name: uniqueId(`asset${ctx.version.sdk.replace('.', '')}`), uri: `s3://replay/${uniqueId('a')}` };
  const res = await http(ctx.baseUrl, 'PUT', '/api/v1/assets', { ...asset, group: 'asset', extra: { owner: 'replay' } }, await admin());
  if (res.status !== 200) throw new Error(`asset registration failed: ${res.status} ${res.text}`);
  return asset;
}

/** A task that succeeded with an outlet event through an alias it declares (as `Metadata(asset, extra, alias=…)` sends it). */
async function eventThroughAlias(ctx: ReplayContext) {
  const asset = await registeredAsset(ctx);
  const alias = uniqueId('alias');
  const { ti, client } = await startedTi(ctx);
  const body = ctx.version.requests.success({
    end_date: END(),
    task_outlets: [{ name: alias, uri: null, type: 'AssetAlias' }],
    outlet_events: [{ dest_asset_key: { name: asset.name, uri: asset.uri }, source_alias_name: alias, extra: { via: 'alias' } }],
    rendered_map_index: null,
  });
  expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
  return { alias, asset, client };
}
const NO_ISSUE = 'not in any issue yet';
const all = (reason: string): Record<SdkLine, string> => ({ '1.0': reason, '1.1': reason, '1.2': reason, '1.3': reason });

/** A question as `HITLOperator` asks it through `HITLOperations.add_response`. */
const hitlQuestion = (ctx: ReplayContext, tiId: string) =>
  ctx.version.requests.hitlDetail({
    ti_id: tiId,
    options: ['Approve', 'Reject'],
    subject: 'Publish the quarterly report?',
    body: null,
    defaults: ['Reject'],
    multiple: false,
    params: { comment: { value: '', description: null, schema: { type: 'string' } } },
    assigned_users: [],
  });

/** The path of an XCom as the client formats it (`f"xcoms/{dag_id}/{run_id}/{task_id}/{key}"`, no quoting). */
const xcomPath = (ti: { dag_id: string; run_id: string; task_id: string }, key: string) => `xcoms/${ti.dag_id}/${ti.run_id}/${ti.task_id}/${key}`;

export const CALLS: Call[] = [
  {
    n: 1,
    method: 'task_instances.start',
    http: 'PATCH task-instances/{id}/run',
    cases: [
      {
        name: 'queued → running: 200, the run context parses as this version’s TIRunContext, the workload token is swapped',
        async run(ctx) {
          const { ti, client, run } = await startedTi(ctx);
          expect(run.status).toBe(200);
          expectJson(run);
          expectModel(ctx.version.responses.TIRunContext, run.json);
          expect((run.json as any).dag_run).toMatchObject({ dag_id: ti.dag_id, run_id: ti.run_id });
          // `Client._update_auth`: the next request carries the execution token /run answered.
          const refreshed = run.headers.get('refreshed-api-token');
          expect(refreshed).toEqual(expect.any(String));
          expect(client.token).toBe(refreshed);
          expect(client.sent[0].headers.authorization).not.toBe(`Bearer ${refreshed}`);
        },
      },
      {
        name: 'a dag run the scheduler queued but has not started (start_date null): parses; lines before 1.2 get run_after instead of null',
        async run(ctx) {
          const ti = await queuedTi(ctx);
          await withDirect((c) => c.query(`update dag_run set state = 'queued', start_date = null where dag_id = $1 and run_id = $2`, [ti.dag_id, ti.run_id]));
          const client = new SdkClient(ctx.baseUrl, ctx.version, await tokens.workload(ti.id));
          const run = await client.start(ti.id, ctx.version.requests.enterRunning({ ...WORKER, start_date: END() }));
          expectModel(ctx.version.responses.TIRunContext, run.json);
          const dagRun = (run.json as any).dag_run;
          // v2026_04_06.MakeDagRunStartDateNullable: older clients require start_date; Airflow fills it from run_after.
          if (ctx.version.apiVersion < '2026-04-06') expect(new Date(dagRun.start_date).getTime()).toBe(new Date(dagRun.run_after).getTime());
          else expect(dagRun.start_date).toBeNull();
        },
      },
      {
        name: 'the same worker starts again (a retried request): 200 with the same context',
        async run(ctx) {
          const { ti, client, run } = await startedTi(ctx);
          const again = await client.start(ti.id, JSON.parse(client.sent[0].body!));
          expect(again.status).toBe(200);
          expect(again.json).toEqual(run.json);
        },
      },
      {
        name: 'another process starts a running task (a redelivered workload): 409 that the SDK raises as TaskAlreadyRunningError',
        async run(ctx) {
          const { ti } = await startedTi(ctx);
          const duplicate = new SdkClient(ctx.baseUrl, ctx.version, await tokens.workload(ti.id));
          const error = await thrown(() => duplicate.start(ti.id, ctx.version.requests.enterRunning({ ...WORKER, pid: WORKER.pid + 1, start_date: END() })));
          expect(error).toBeInstanceOf(TaskAlreadyRunningError);
        },
      },
    ],
  },
  {
    n: 2,
    method: 'task_instances.finish',
    http: 'PATCH task-instances/{id}/state',
    cases: [
      {
        name: 'failed with rendered_map_index null: 204 with no body',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.terminal({ state: 'failed', end_date: END(), rendered_map_index: null });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'skipped with a rendered_map_index label: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.terminal({ state: 'skipped', end_date: END(), rendered_map_index: 'file=a.csv' });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'a task no longer running: 409 that the supervisor hands the task as API_SERVER_ERROR with invalid_state',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const failed = ctx.version.requests.terminal({ state: 'failed', end_date: END(), rendered_map_index: null });
          await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(failed) });
          const skipped = ctx.version.requests.terminal({ state: 'skipped', end_date: END(), rendered_map_index: null });
          const error = await thrown(() => client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(skipped) }));
          expect(error).toBeInstanceOf(ServerResponseError);
          const response = (error as ServerResponseError).response;
          expect(response.headers.get('content-type')).toBe('application/json');
          expectModel(ctx.version.responses.HTTPExceptionResponse, response.json);
          expect(supervisorOutcome(error)).toEqual({
            error: 'API_SERVER_ERROR',
            detail: {
              status_code: 409,
              message: 'Server returned error',
              detail: expect.objectContaining({ reason: 'invalid_state', previous_state: 'failed' }),
            },
          });
        },
      },
    ],
  },
  {
    n: 3,
    method: 'task_instances.retry',
    http: 'PATCH task-instances/{id}/state',
    cases: [
      {
        name: 'up_for_retry with this version’s body (1.3: retry_delay_seconds and retry_reason as null): 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.retry({ end_date: END(), rendered_map_index: null });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'up_for_retry with a retry policy’s delay and reason: 204, and the late heartbeat of the archived try is told to stop',
        only: ['1.3'],
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.retry({
            end_date: END(),
            rendered_map_index: 'file=a.csv',
            retry_delay_seconds: 42.5,
            retry_reason: 'upstream API rate-limited',
          });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
          const heartbeat = ctx.version.requests.heartbeat({ hostname: WORKER.hostname, pid: WORKER.pid });
          const error = await thrown(() => client.request('PUT', `task-instances/${ti.id}/heartbeat`, { content: JSON.stringify(heartbeat) }));
          // 410 is not one of the two statuses the supervisor terminates on; it counts failed heartbeats.
          expect((error as ServerResponseError).response.status).toBe(410);
          expect(heartbeatOutcome(error)).toBe('count_failure');
        },
      },
    ],
  },
  {
    n: 4,
    method: 'task_instances.succeed',
    http: 'PATCH task-instances/{id}/state',
    cases: [
      {
        name: 'success with an outlet and empty outlet_events: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.success({
            end_date: END(),
            task_outlets: [{ name: 'orders', uri: 's3://bucket/orders', type: 'Asset' }],
            outlet_events: [],
            rendered_map_index: null,
          });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'an outlet and its outlet event (extra, partition_key): 204, and asset_events.get reads the event back as AssetEventsResponse',
        async run(ctx) {
          const asset = await registeredAsset(ctx);
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.success({
            end_date: END(),
            task_outlets: [{ name: asset.name, uri: asset.uri, type: 'Asset' }],
            outlet_events: [{ dest_asset_key: { name: asset.name, uri: asset.uri }, extra: { rows: 3 }, partition_key: '2026-11-24' }],
            rendered_map_index: null,
          });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
          // `AssetEventOperations.get(name=…)`: uri=None goes out as `uri=` (httpx), which Airflow reads as absent.
          const res = await client.request('GET', 'asset-events/by-asset', { params: { name: asset.name, uri: null } });
          expectModel(ctx.version.responses.AssetEventsResponse, res.json);
          expect((res.json as any).asset_events).toEqual([
            expect.objectContaining({
              extra: { rows: 3 },
              partition_key: '2026-11-24',
              source_task_id: ti.task_id,
              source_dag_id: ti.dag_id,
              created_dagruns: [],
            }),
          ]);
        },
      },
      {
        name: 'a blank partition_key: 422 invalid_partition_key, which the supervisor hands the task as API_SERVER_ERROR',
        async run(ctx) {
          const asset = await registeredAsset(ctx);
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.success({
            end_date: END(),
            task_outlets: [{ name: asset.name, uri: asset.uri, type: 'Asset' }],
            outlet_events: [{ dest_asset_key: { name: asset.name, uri: asset.uri }, extra: {}, partition_key: ' ' }],
            rendered_map_index: null,
          });
          const error = await thrown(() => client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }));
          expect(error).toBeInstanceOf(ServerResponseError);
          expectModel(ctx.version.responses.HTTPExceptionResponse, (error as ServerResponseError).response.json);
          expect(supervisorOutcome(error)).toEqual({
            error: 'API_SERVER_ERROR',
            detail: { status_code: 422, message: 'Server returned error', detail: expect.objectContaining({ reason: 'invalid_partition_key' }) },
          });
        },
      },
    ],
  },
  {
    n: 5,
    method: 'task_instances.defer',
    http: 'PATCH task-instances/{id}/state',
    differs: all('stored, but no triggerer resumes the task (not in any issue yet)'),
    cases: [
      {
        name: 'deferred with every field this version’s payload has (trigger_timeout as pydantic’s duration): 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.deferred({
            classpath: 'airflow.providers.standard.triggers.temporal.DateTimeTrigger',
            trigger_kwargs: { moment: { __classname__: 'pendulum.datetime.DateTime', __version__: 2, __data__: { timestamp: 1795000000.0, tz: 'UTC' } } },
            trigger_timeout: pydanticDuration(3600),
            next_method: 'execute_complete',
            next_kwargs: null,
            rendered_map_index: null,
          });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
    ],
  },
  {
    n: 6,
    method: 'task_instances.await_input',
    http: 'PATCH task-instances/{id}/state',
    since: '2026-06-30',
    cases: [
      {
        name: 'awaiting_input with timeout and next_kwargs null: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.awaitingInput({
            timeout: pydanticDuration(86400),
            next_method: 'execute_complete',
            next_kwargs: null,
            rendered_map_index: null,
          });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'a person already answered: 204 and the task goes straight to scheduled (Airflow’s shortcut)',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await client.request('POST', `/hitlDetails/${ti.id}`, { content: JSON.stringify(hitlQuestion(ctx, ti.id)) });
          expect((await http(ctx.baseUrl, 'PATCH', `/api/v1/task-instances/${ti.id}/hitl-detail`, { chosen_options: ['Approve'] }, await admin())).status).toBe(
            200,
          );
          const body = ctx.version.requests.awaitingInput({ timeout: null, next_method: 'execute_complete', next_kwargs: null, rendered_map_index: null });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
          const [row] = await withDirect(async (c) => (await c.query('select state from task_instance where id = $1', [ti.id])).rows);
          expect(row.state).toBe('scheduled');
        },
      },
    ],
  },
  {
    n: 7,
    method: 'task_instances.reschedule',
    http: 'PATCH task-instances/{id}/state',
    cases: [
      {
        name: 'up_for_reschedule: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.reschedule({ reschedule_date: pydanticDatetime(new Date(Date.now() + 60_000)), end_date: END() });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) }), 204);
        },
      },
    ],
  },
  {
    n: 8,
    method: 'task_instances.heartbeat',
    http: 'PUT task-instances/{id}/heartbeat',
    cases: [
      {
        name: 'from the running worker: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.heartbeat({ hostname: WORKER.hostname, pid: WORKER.pid });
          expectEmpty(await client.request('PUT', `task-instances/${ti.id}/heartbeat`, { content: JSON.stringify(body) }), 204);
        },
      },
      {
        name: 'after the task was failed elsewhere: 409 not_running, the supervisor terminates the task',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const failed = ctx.version.requests.terminal({ state: 'failed', end_date: END(), rendered_map_index: null });
          await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(failed) });
          const body = ctx.version.requests.heartbeat({ hostname: WORKER.hostname, pid: WORKER.pid });
          const error = await thrown(() => client.request('PUT', `task-instances/${ti.id}/heartbeat`, { content: JSON.stringify(body) }));
          expect((error as ServerResponseError).detail).toEqual(expect.objectContaining({ reason: 'not_running', current_state: 'failed' }));
          expect(heartbeatOutcome(error)).toBe('terminate');
        },
      },
      {
        name: 'from another host: 409 running_elsewhere, the supervisor terminates the task',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.heartbeat({ hostname: 'worker-8.airflow.internal', pid: WORKER.pid });
          const error = await thrown(() => client.request('PUT', `task-instances/${ti.id}/heartbeat`, { content: JSON.stringify(body) }));
          expect((error as ServerResponseError).detail).toEqual(expect.objectContaining({ reason: 'running_elsewhere' }));
          expect(heartbeatOutcome(error)).toBe('terminate');
        },
      },
      {
        name: 'for an id no task instance has: 404, the supervisor terminates the task',
        async run(ctx) {
          const id = unknownId();
          const client = await clientFor(ctx, id);
          const body = ctx.version.requests.heartbeat({ hostname: WORKER.hostname, pid: WORKER.pid });
          const error = await thrown(() => client.request('PUT', `task-instances/${id}/heartbeat`, { content: JSON.stringify(body) }));
          expect((error as ServerResponseError).response.status).toBe(404);
          expect(heartbeatOutcome(error)).toBe('terminate');
        },
      },
    ],
  },
  {
    n: 9,
    method: 'task_instances.skip_downstream_tasks',
    http: 'PATCH task-instances/{id}/skip-downstream',
    cases: [
      {
        name: 'a task id and a (task_id, map_index) pair: 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.skipDownstream({ tasks: ['load', ['transform', 0]] });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/skip-downstream`, { content: JSON.stringify(body) }), 204);
        },
      },
    ],
  },
  {
    n: 10,
    method: 'task_instances.set_rtif',
    http: 'PUT task-instances/{id}/rtif',
    cases: [
      {
        name: 'rendered fields with nulls and nesting (json=body): 201, body not read by the client',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('PUT', `task-instances/${ti.id}/rtif`, {
            json: { bash_command: 'echo 1', env: null, op_kwargs: { a: [1, 2, { b: null }] } },
          });
          expect(res.status).toBe(201);
        },
      },
    ],
  },
  {
    n: 11,
    method: 'task_instances.set_rendered_map_index',
    http: 'PATCH task-instances/{id}/rendered-map-index',
    cases: [
      {
        name: 'a label as a bare JSON string (json=label): 204',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 3 });
          expectEmpty(await client.request('PATCH', `task-instances/${ti.id}/rendered-map-index`, { json: 'region=eu-west-1' }), 204);
        },
      },
      {
        name: 'an empty label: 422, which the supervisor hands the task as API_SERVER_ERROR',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 3 });
          const error = await thrown(() => client.request('PATCH', `task-instances/${ti.id}/rendered-map-index`, { json: '' }));
          expect(error).toBeInstanceOf(ServerResponseError);
          expect((error as ServerResponseError).response.headers.get('content-type')).toBe('application/json');
          // Airflow's detail is the plain string "rendered_map_index cannot be empty" (message = that
          // string); the service answers FastAPI's validation list. The task fails the same way.
          expect(supervisorOutcome(error)).toEqual({
            error: 'API_SERVER_ERROR',
            detail: { status_code: 422, message: expect.any(String), detail: expect.anything() },
          });
        },
      },
    ],
  },
  {
    n: 12,
    method: 'task_instances.get_previous_successful_dagrun',
    http: 'GET task-instances/{id}/previous-successful-dagrun',
    cases: [
      {
        name: '200, parses as PrevSuccessfulDagRunResponse',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('GET', `task-instances/${ti.id}/previous-successful-dagrun`);
          expect(res.status).toBe(200);
          expectJson(res);
          expectModel(ctx.version.responses.PrevSuccessfulDagRunResponse, res.json);
        },
      },
    ],
  },
  {
    n: 13,
    method: 'task_instances.get_reschedule_start_date',
    http: 'GET task-reschedules/{id}/start_date',
    cases: [
      {
        name: 'a sensor’s second poke: the run context counts the reschedule, start_date answers the first reschedule’s start as a JSON date-time',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const body = ctx.version.requests.reschedule({ reschedule_date: pydanticDatetime(new Date(Date.now() + 1000)), end_date: END() });
          await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) });
          await schedulerRequeue(ti.id);
          const poker = new SdkClient(ctx.baseUrl, ctx.version, await tokens.workload(ti.id));
          const run = await poker.start(ti.id, ctx.version.requests.enterRunning({ ...WORKER, start_date: END() }));
          expectModel(ctx.version.responses.TIRunContext, run.json);
          expect((run.json as any).task_reschedule_count).toBe(1);
          // `get_reschedule_start_date(id, try_number)`: `TaskRescheduleStartDate(start_date=resp.json())`
          const res = await poker.request('GET', `task-reschedules/${ti.id}/start_date`, { params: { try_number: 1 } });
          expect(res.status).toBe(200);
          expectJson(res);
          expectModel(ctx.version.responses.TaskRescheduleStartDate, res.json);
          expect(res.json).toEqual(expect.any(String));
          if (ctx.version.sdk === '1.3')
            expect(new Date((run.json as any).first_task_reschedule_start_date).getTime()).toBe(new Date(res.json as string).getTime());
        },
      },
      {
        name: 'a try that was never rescheduled: 200 null',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('GET', `task-reschedules/${ti.id}/start_date`, { params: { try_number: 1 } });
          expect([res.status, res.json]).toEqual([200, null]);
        },
      },
    ],
  },
  {
    n: 14,
    method: 'task_instances.get_count',
    http: 'GET task-instances/count',
    cases: [
      {
        name: 'dag_id, task_ids, run_ids and states (with "null"), lists repeated: 200, a bare integer',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await queuedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: 'load', state: 'none' });
          await queuedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: 'report', state: 'success' });
          const res = await client.request('GET', 'task-instances/count', {
            params: { dag_id: ti.dag_id, task_ids: [ti.task_id, 'load', 'report'], run_ids: [ti.run_id], states: ['running', 'null'] },
          });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.TICount, res.json);
          expect(res.json).toBe(2);
        },
      },
    ],
  },
  {
    n: 15,
    method: 'task_instances.get_previous',
    http: 'GET task-instances/previous/{dag_id}/{task_id}',
    cases: [
      {
        name: 'map_index -1 and a logical_date as Python’s isoformat(): the previous run’s task instance, then null before the first',
        async run(ctx) {
          const { ti: earlier } = await startedTi(ctx);
          const { client } = await startedTi(ctx, {
            dag_id: earlier.dag_id,
            run_id: 'scheduled__2026-11-25T00:00:00+00:00',
            logical_date: '2026-11-25T00:00:00Z',
            run_after: '2026-11-26T00:00:00Z',
          });
          const res = await client.request('GET', `task-instances/previous/${earlier.dag_id}/${earlier.task_id}`, {
            params: { map_index: -1, logical_date: '2026-11-25T00:00:00+00:00' },
          });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.PreviousTIResult, res.json);
          expect(res.json).toMatchObject({ dag_id: earlier.dag_id, task_id: earlier.task_id, run_id: earlier.run_id, state: 'running', map_index: -1 });
          const none = await client.request('GET', `task-instances/previous/${earlier.dag_id}/${earlier.task_id}`, {
            params: { map_index: -1, logical_date: '2026-11-24T00:00:00+00:00' },
          });
          expect([none.status, none.json]).toEqual([200, null]);
        },
      },
    ],
  },
  {
    n: 16,
    method: 'task_instances.get_task_states',
    http: 'GET task-instances/states',
    cases: [
      {
        name: 'dag_id and run_ids: 200, parses as TaskStatesResponse, mapped tasks keyed task_id_{map_index}',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await queuedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: 'fan', map_index: 0 });
          const res = await client.request('GET', 'task-instances/states', { params: { dag_id: ti.dag_id, run_ids: [ti.run_id] } });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.TaskStatesResponse, res.json);
          expect(res.json).toEqual({ task_states: { [ti.run_id]: { [ti.task_id]: 'running', fan_0: 'queued' } } });
        },
      },
    ],
  },
  {
    n: 17,
    method: 'task_instances.get_task_breakcrumbs',
    http: 'GET task-instances/breadcrumbs',
    cases: [
      {
        name: 'dag_id and run_id: 200, parses as TaskBreadcrumbsResponse with the finished task',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { operator: 'PythonOperator' });
          const body = ctx.version.requests.success({ end_date: END(), task_outlets: [], outlet_events: [], rendered_map_index: null });
          await client.request('PATCH', `task-instances/${ti.id}/state`, { content: JSON.stringify(body) });
          const { client: reader } = await startedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: 'report' });
          const res = await reader.request('GET', 'task-instances/breadcrumbs', { params: { dag_id: ti.dag_id, run_id: ti.run_id } });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.TaskBreadcrumbsResponse, res.json);
          expect(res.json).toEqual({
            breadcrumbs: [{ task_id: ti.task_id, map_index: -1, state: 'success', operator: 'PythonOperator', duration: expect.any(Number) }],
          });
        },
      },
    ],
  },
  {
    n: 18,
    method: 'task_instances.validate_inlets_and_outlets',
    http: 'GET task-instances/{id}/validate-inlets-and-outlets',
    cases: [
      {
        name: 'an outlet no dag uses any more: 200, parses as InactiveAssetsResponse naming it',
        async run(ctx) {
          const suffix = Math.random().toString(36).slice(2, 8);
          const live = { name: `orders_${suffix}`, uri: `s3://bucket/orders_${suffix}` };
          const gone = { name: `legacy_${suffix}`, uri: `s3://bucket/legacy_${suffix}` };
          for (const [asset, active] of [
            [live, true],
            [gone, false],
          ] as const) {
            const res = await http(ctx.baseUrl, 'PUT', '/api/v1/assets', { ...asset, active }, await admin());
            expect(res.status).toBeLessThan(300);
          }
          const { ti, client } = await startedTi(ctx, { inlets: [live], outlets: [gone] });
          const res = await client.request('GET', `task-instances/${ti.id}/validate-inlets-and-outlets`);
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.InactiveAssetsResponse, res.json);
          expect(res.json).toEqual({ inactive_assets: [{ ...gone, type: 'Asset' }] });
        },
      },
    ],
  },
  {
    n: 19,
    method: 'xcoms.head',
    http: 'HEAD xcoms/{dag_id}/{run_id}/{task_id}/{key}',
    cases: [
      {
        name: 'two mapped values: 200 with Content-Range the client parses as len 2',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 0 });
          await client.request('POST', xcomPath(ti, 'return_value'), { json: 'a', params: { map_index: 0 } });
          const sibling = await queuedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, map_index: 1 });
          await (await clientFor(ctx, sibling.id)).request('POST', xcomPath(ti, 'return_value'), { json: 'b', params: { map_index: 1 } });
          const res = await client.request('HEAD', xcomPath(ti, 'return_value'));
          expect(res.status).toBe(200);
          // `if not (content_range := resp.headers["Content-Range"]) or not content_range.startswith("map_indexes ")`
          const range = res.headers.get('content-range') ?? '';
          expect(range.startsWith('map_indexes ')).toBe(true);
          expect(Number.parseInt(range.slice('map_indexes '.length), 10)).toBe(2);
        },
      },
    ],
  },
  {
    n: 20,
    method: 'xcoms.get',
    http: 'GET xcoms/{dag_id}/{run_id}/{task_id}/{key}',
    cases: [
      {
        name: 'a pushed value: 200, parses as XComResponse with the value as pushed',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await client.request('POST', xcomPath(ti, 'return_value'), { json: { rows: 3, path: null } });
          const { response, value } = await client.xcomGet(ti.dag_id, ti.run_id, ti.task_id, 'return_value');
          expect(response!.status).toBe(200);
          expectJson(response!);
          expectModel(ctx.version.responses.XComResponse, value);
          expect(value).toEqual({ key: 'return_value', value: { rows: 3, path: null } });
        },
      },
      {
        name: 'a key never pushed: 404 that the SDK turns into XComResponse(key, value=None)',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const { response, value } = await client.xcomGet(ti.dag_id, ti.run_id, ti.task_id, 'never_pushed');
          expect(response).toBeUndefined();
          expect(value).toEqual({ key: 'never_pushed', value: null });
        },
      },
      {
        name: 'xcom_pull(dag_id=…) of another dag’s value: 200, as Airflow allows any task token to read',
        async run(ctx) {
          const { ti: producer, client: producerClient } = await startedTi(ctx);
          await producerClient.request('POST', xcomPath(producer, 'return_value'), { json: 'from another dag' });
          const { client: consumer } = await startedTi(ctx);
          const { response, value } = await consumer.xcomGet(producer.dag_id, producer.run_id, producer.task_id, 'return_value');
          expect(response!.status).toBe(200);
          expect(value).toEqual({ key: 'return_value', value: 'from another dag' });
        },
      },
    ],
  },
  {
    n: 21,
    method: 'xcoms.set',
    http: 'POST xcoms/{dag_id}/{run_id}/{task_id}/{key}',
    cases: [
      {
        name: 'a value with map_index and mapped_length: 201',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 0 });
          const res = await client.request('POST', xcomPath(ti, 'return_value'), { json: [1, 2], params: { map_index: 0, mapped_length: 2 } });
          expect(res.status).toBe(201);
          expectJson(res);
        },
      },
      {
        name: 'a dag result (dag_result=true, sent only when set): 201, and the value reads back',
        // The client read (1.3) has the flag; which earlier release first sent it was not pinned.
        only: ['1.3'],
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('POST', xcomPath(ti, 'return_value'), { json: { total: 7 }, params: { dag_result: true } });
          expect(client.sent.at(-1)!.url).toMatch(/\?dag_result=true$/);
          expect(res.status).toBe(201);
          expect((await client.xcomGet(ti.dag_id, ti.run_id, ti.task_id, 'return_value')).value).toEqual({ key: 'return_value', value: { total: 7 } });
        },
      },
    ],
  },
  {
    n: 22,
    method: 'xcoms.delete',
    http: 'DELETE xcoms/{dag_id}/{run_id}/{task_id}/{key}',
    cases: [
      {
        name: 'a key listed in xcom_keys_to_clear and a missing key: 200 both',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await client.request('POST', xcomPath(ti, 'stale'), { json: 1 });
          expect((await client.request('DELETE', xcomPath(ti, 'stale'))).status).toBe(200);
          expect((await client.request('DELETE', xcomPath(ti, 'never_set'))).status).toBe(200);
        },
      },
    ],
  },
  {
    n: 23,
    method: 'xcoms.get_sequence_item',
    http: 'GET xcoms/{dag_id}/{run_id}/{task_id}/{key}/item/{offset}',
    cases: [
      {
        name: 'offset 0 and -1 of two mapped values: 200, the bare values',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 0 });
          await client.request('POST', xcomPath(ti, 'return_value'), { json: 'first', params: { map_index: 0 } });
          const sibling = await queuedTi(ctx, { dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, map_index: 1 });
          await (await clientFor(ctx, sibling.id)).request('POST', xcomPath(ti, 'return_value'), { json: 'second', params: { map_index: 1 } });
          const first = await client.xcomSequenceItem(ti.dag_id, ti.run_id, ti.task_id, 'return_value', 0);
          expect(first.response!.status).toBe(200);
          expectModel(ctx.version.responses.XComSequenceIndexResponse, first.response!.json);
          expect(first.response!.json).toBe('first');
          expect((await client.xcomSequenceItem(ti.dag_id, ti.run_id, ti.task_id, 'return_value', -1)).response!.json).toBe('second');
        },
      },
      {
        name: 'an offset past the end: 404 that the SDK turns into ErrorResponse(XCOM_NOT_FOUND)',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 0 });
          await client.request('POST', xcomPath(ti, 'return_value'), { json: 'only', params: { map_index: 0 } });
          expect(await client.xcomSequenceItem(ti.dag_id, ti.run_id, ti.task_id, 'return_value', 5)).toEqual({ error: 'XCOM_NOT_FOUND' });
        },
      },
    ],
  },
  {
    n: 24,
    method: 'xcoms.get_sequence_slice',
    http: 'GET xcoms/{dag_id}/{run_id}/{task_id}/{key}/slice',
    cases: [
      {
        name: 'start/stop/step: 200, parses as XComSequenceSliceResponse',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx, { map_index: 0 });
          await client.request('POST', xcomPath(ti, 'return_value'), { json: 'x0', params: { map_index: 0 } });
          // `include_prior_dates` is sent only when true, and only from 2025-08-10 (AddIncludePriorDatesToGetXComSlice).
          const params: Record<string, number | boolean> = { start: 0, stop: 5, step: 1 };
          if (ctx.version.sdk !== '1.0') params.include_prior_dates = true;
          const res = await client.request('GET', `${xcomPath(ti, 'return_value')}/slice`, { params });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.XComSequenceSliceResponse, res.json);
          expect(res.json).toEqual(['x0']);
        },
      },
    ],
  },
  {
    n: 25,
    method: 'connections.get',
    http: 'GET connections/{conn_id}',
    cases: [
      {
        name: 'a seeded connection with / in its id: 200, parses as ConnectionResponse with schema by name and extra as a string',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          const connId = `aws/${Math.random().toString(36).slice(2, 8)}`;
          const seeded = {
            conn_type: 'aws',
            host: 'sts.amazonaws.com',
            schema: 'eu',
            login: 'key',
            password: 'secret',
            port: 443,
            extra: '{"region_name": "eu-west-1"}',
          };
          expect((await http(ctx.baseUrl, 'PUT', `/api/v1/connections/${connId}`, seeded, await admin())).status).toBe(200);
          // `self.client.get(f"connections/{conn_id}")`: the id as is, slashes included.
          const res = await client.request('GET', `connections/${connId}`);
          expect(res.status).toBe(200);
          expectJson(res);
          expectModel(ctx.version.responses.ConnectionResponse, res.json);
          expect(res.json).toEqual({ conn_id: connId, ...seeded });
        },
      },
      {
        name: 'an unknown id: 404 that the SDK turns into CONNECTION_NOT_FOUND',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          expect(await lookupOutcome(client, 'connections/never_seeded', 'CONNECTION_NOT_FOUND')).toBe('CONNECTION_NOT_FOUND');
        },
      },
    ],
  },
  {
    n: 26,
    method: 'variables.get',
    http: 'GET variables/{key}',
    cases: [
      {
        name: 'a key another task set: 200, parses as VariableResponse',
        async run(ctx) {
          const { client: setter } = await startedTi(ctx);
          const key = `region/${Math.random().toString(36).slice(2, 8)}`;
          await setter.request('PUT', `variables/${key}`, { content: JSON.stringify({ val: 'eu-west-1', description: null }) });
          const { client } = await startedTi(ctx);
          const res = await client.request('GET', `variables/${key}`);
          expect(res.status).toBe(200);
          expectJson(res);
          expectModel(ctx.version.responses.VariableResponse, res.json);
          expect(res.json).toEqual({ key, value: 'eu-west-1' });
        },
      },
      {
        name: 'an unknown key: 404 that the SDK turns into VARIABLE_NOT_FOUND',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          expect(await lookupOutcome(client, 'variables/never_set', 'VARIABLE_NOT_FOUND')).toBe('VARIABLE_NOT_FOUND');
        },
      },
    ],
  },
  {
    n: 27,
    method: 'variables.set',
    http: 'PUT variables/{key}',
    cases: [
      {
        name: '`VariablePostBody(val=…, description=…).model_dump_json()`: 201 {"message"}, an overwrite 201 too',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          const key = `set_${Math.random().toString(36).slice(2, 8)}`;
          for (const val of ['{"rows": 42}', 'again']) {
            const res = await client.request('PUT', `variables/${key}`, { content: JSON.stringify({ val, description: 'from a task' }) });
            expect([res.status, res.json]).toEqual([201, { message: 'Variable successfully set' }]);
          }
          expect((await client.request('GET', `variables/${key}`)).json).toEqual({ key, value: 'again' });
        },
      },
    ],
  },
  {
    n: 28,
    method: 'variables.delete',
    http: 'DELETE variables/{key}',
    cases: [
      {
        name: 'a set key and a missing key: 204 both, with no body',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          const key = `del_${Math.random().toString(36).slice(2, 8)}`;
          await client.request('PUT', `variables/${key}`, { content: JSON.stringify({ val: 'x', description: null }) });
          expectEmpty(await client.request('DELETE', `variables/${key}`), 204);
          expectEmpty(await client.request('DELETE', `variables/${key}`), 204);
          expect(await lookupOutcome(client, `variables/${key}`, 'VARIABLE_NOT_FOUND')).toBe('VARIABLE_NOT_FOUND');
        },
      },
    ],
  },
  {
    n: 29,
    method: 'variables.keys',
    http: 'GET variables/keys',
    since: '2026-06-30',
    cases: [
      {
        name: 'prefix, limit and offset as the client sends them: 200, parses as VariableKeysResponse',
        async run(ctx) {
          const { client } = await startedTi(ctx);
          const prefix = `keys_${Math.random().toString(36).slice(2, 8)}`;
          for (const suffix of ['/b', '/a', '_c']) {
            await client.request('PUT', `variables/${prefix}${suffix}`, { content: JSON.stringify({ val: '1', description: null }) });
          }
          // `params = {"limit": limit, "offset": offset}; if prefix: params["prefix"] = prefix`
          const res = await client.request('GET', 'variables/keys', { params: { limit: 2, offset: 0, prefix: `${prefix}/` } });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.VariableKeysResponse, res.json);
          expect(res.json).toEqual({ keys: [`${prefix}/a`, `${prefix}/b`], total_entries: 2 });
        },
      },
    ],
  },
  { n: 30, method: 'task_state_store.get', http: 'GET store/ti/{ti_id}/{key}', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 31, method: 'task_state_store.set', http: 'PUT store/ti/{ti_id}/{key}', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 32, method: 'task_state_store.delete', http: 'DELETE store/ti/{ti_id}/{key}', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 33, method: 'task_state_store.clear', http: 'DELETE store/ti/{ti_id}', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 34, method: 'asset_state_store.get', http: 'GET store/asset/by-name/value (or by-uri)', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 35, method: 'asset_state_store.set', http: 'PUT store/asset/by-name/value (or by-uri)', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 36, method: 'asset_state_store.delete', http: 'DELETE store/asset/by-name/value (or by-uri)', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 37, method: 'asset_state_store.clear', http: 'DELETE store/asset/by-name/clear (or by-uri)', since: '2026-06-30', notImplemented: NO_ISSUE },
  {
    n: 38,
    method: 'assets.get',
    http: 'GET assets/by-name, assets/by-uri',
    cases: [
      {
        name: 'by name and by uri: 200, parses as AssetResponse; an unknown one: 404 that the client reads as ASSET_NOT_FOUND',
        async run(ctx) {
          const asset = await registeredAsset(ctx);
          const { client } = await startedTi(ctx);
          for (const [path, params] of [
            ['assets/by-name', { name: asset.name }],
            ['assets/by-uri', { uri: asset.uri }],
          ] as const) {
            const res = await client.request('GET', path, { params });
            expect(res.status).toBe(200);
            expectJson(res);
            expectModel(ctx.version.responses.AssetResponse, res.json);
            expect(res.json).toEqual({ name: asset.name, uri: asset.uri, group: 'asset', extra: { owner: 'replay' } });
          }
          // `AssetOperations.get` catches a ServerResponseError with status 404 and returns ErrorResponse(ASSET_NOT_FOUND).
          const error = await thrown(() => client.request('GET', 'assets/by-name', { params: { name: `${asset.name}_missing` } }));
          expect(error).toBeInstanceOf(ServerResponseError);
          expect((error as ServerResponseError).response.status).toBe(404);
          expect((error as ServerResponseError).detail).toEqual({ reason: 'not_found', message: `Asset with name ${asset.name}_missing not found` });
        },
      },
    ],
  },
  {
    n: 39,
    method: 'assets.get_by_alias',
    http: 'GET assets/by-alias',
    since: '2026-06-30',
    cases: [
      {
        name: 'an alias a task emitted through: 200, a list of AssetResponse',
        async run(ctx) {
          const { alias, asset, client } = await eventThroughAlias(ctx);
          const res = await client.request('GET', 'assets/by-alias', { params: { alias_name: alias } });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.AssetResponseList, res.json);
          expect(res.json).toEqual([{ name: asset.name, uri: asset.uri, group: 'asset', extra: { owner: 'replay' } }]);
        },
      },
    ],
  },
  {
    n: 40,
    method: 'asset_events.get',
    http: 'GET asset-events/by-asset, asset-events/by-asset-alias',
    cases: [
      {
        name: 'by alias (name=…): the event emitted through it, parses as AssetEventsResponse; by uri alone (name=None sent empty) too',
        async run(ctx) {
          const { alias, asset, client } = await eventThroughAlias(ctx);
          const byAlias = await client.request('GET', 'asset-events/by-asset-alias', { params: { name: alias } });
          expect(byAlias.status).toBe(200);
          expectModel(ctx.version.responses.AssetEventsResponse, byAlias.json);
          expect((byAlias.json as any).asset_events).toEqual([
            expect.objectContaining({ extra: { via: 'alias' }, asset: expect.objectContaining({ name: asset.name }) }),
          ]);
          const byUri = await client.request('GET', 'asset-events/by-asset', { params: { name: null, uri: asset.uri } });
          expectModel(ctx.version.responses.AssetEventsResponse, byUri.json);
          expect((byUri.json as any).asset_events).toHaveLength(1);
        },
      },
    ],
  },
  {
    n: 41,
    method: 'dag_runs.trigger',
    http: 'POST dag-runs/{dag_id}/{run_id}',
    differs: all('a dag is known when the control plane registered it or it has any run; `denied_run_type` (allowed_run_types) is not checked'),
    cases: [
      {
        name: 'TriggerDAGRunPayload with exclude_defaults: 204; a second trigger is the 409 already_exists the client turns into DAGRUN_ALREADY_EXISTS or a clear',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          // `TriggerDAGRunPayload(logical_date=…, conf=…, reset_dag_run=…).model_dump_json(exclude_defaults=True)`
          const body = '{"logical_date":"2026-11-26T00:00:00Z","conf":{"big":12345678901234567890}}';
          expectEmpty(await client.request('POST', `dag-runs/${ti.dag_id}/triggered`, { content: body }), 204);
          const error = await thrown(() => client.request('POST', `dag-runs/${ti.dag_id}/triggered`, { content: body }));
          expect(error).toBeInstanceOf(ServerResponseError);
          const response = (error as ServerResponseError).response;
          expect(response.status).toBe(409);
          expectModel(ctx.version.responses.HTTPExceptionResponse, response.json);
          expect(response.json).toEqual({
            detail: { reason: 'already_exists', message: `A run already exists for Dag '${ti.dag_id}' with run_id 'triggered'` },
          });
        },
      },
    ],
  },
  {
    n: 42,
    method: 'dag_runs.clear',
    http: 'POST dag-runs/{dag_id}/{run_id}/clear',
    cases: [
      {
        name: 'no body (ClearDagRunPayload only in API 2026-11-13): 204, the run queued again',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          expectEmpty(await client.request('POST', `dag-runs/${ti.dag_id}/${ti.run_id}/clear`), 204);
          const state = await client.request('GET', `dag-runs/${ti.dag_id}/${ti.run_id}/state`);
          expect(state.json).toEqual({ state: 'queued' });
        },
      },
    ],
  },
  {
    n: 43,
    method: 'dag_runs.get_detail',
    http: 'GET dag-runs/{dag_id}/{run_id}',
    since: '2026-04-06',
    cases: [
      {
        name: 'a triggered run: 200, parses as this version’s DagRun, conf exact',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          expectEmpty(await client.request('POST', `dag-runs/${ti.dag_id}/detail`, { content: '{"conf":{"big":12345678901234567890},"note":"n"}' }), 204);
          const res = await client.request('GET', `dag-runs/${ti.dag_id}/detail`);
          expect(res.status).toBe(200);
          expectJson(res);
          expectModel(ctx.version.responses.DagRun, res.json);
          expect(res.text).toContain('"conf":{"big":12345678901234567890}');
        },
      },
    ],
  },
  {
    n: 44,
    method: 'dag_runs.get_state',
    http: 'GET dag-runs/{dag_id}/{run_id}/state',
    cases: [
      {
        name: '200 DagRunStateResponse',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('GET', `dag-runs/${ti.dag_id}/${ti.run_id}/state`);
          expectModel(ctx.version.responses.DagRunStateResponse, res.json);
          expect(res.json).toEqual({ state: 'running' });
        },
      },
    ],
  },
  {
    n: 45,
    method: 'dag_runs.get_count',
    http: 'GET dag-runs/count',
    cases: [
      {
        name: 'dag_id, run_ids and states, lists repeated: a bare integer',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const res = await client.request('GET', 'dag-runs/count', {
            params: { dag_id: ti.dag_id, run_ids: [ti.run_id, 'other'], states: ['running', 'queued'] },
          });
          expectJson(res);
          expectModel(ctx.version.responses.TICount, res.json);
          expect(res.json).toBe(1);
        },
      },
    ],
  },
  {
    n: 46,
    method: 'dag_runs.get_previous',
    http: 'GET dag-runs/previous (before 2026-04-06: dag-runs/{dag_id}/previous)',
    since: '2025-08-10',
    cases: [
      {
        name: 'the route this version calls: the previous run as this version’s DagRun, then null before the first',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const moved = ctx.version.apiVersion >= '2026-04-06';
          const previous = (logicalDate: string) =>
            moved
              ? client.request('GET', 'dag-runs/previous', { params: { dag_id: ti.dag_id, logical_date: logicalDate } })
              : client.request('GET', `dag-runs/${ti.dag_id}/previous`, { params: { logical_date: logicalDate } });
          const found = await previous('2026-11-25T00:00:00+00:00');
          expectModel(ctx.version.responses.DagRun, found.json);
          expect(found.json).toMatchObject({ dag_id: ti.dag_id, run_id: ti.run_id });
          const none = await previous('2026-11-24T00:00:00+00:00');
          expect(none.text).toBe('null');
        },
      },
    ],
  },
  {
    n: 47,
    method: 'dags.get',
    http: 'GET dags/{dag_id}',
    since: '2026-04-06',
    cases: [
      {
        name: 'a registered dag: 200 DagResponse',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          expect((await http(ctx.baseUrl, 'PUT', `/api/v1/dags/${ti.dag_id}`, { owners: 'airflow', tags: ['t'] }, await admin())).status).toBe(200);
          const res = await client.request('GET', `dags/${ti.dag_id}`);
          expectModel(ctx.version.responses.DagResponse, res.json);
          expect(res.json).toMatchObject({ dag_id: ti.dag_id, owners: 'airflow', tags: ['t'], is_paused: false });
        },
      },
    ],
  },
  {
    n: 48,
    method: 'hitl.add_response',
    http: 'POST hitlDetails/{ti_id}',
    since: '2025-08-10',
    cases: [
      {
        name: 'the question, every field as the SDK dumps it: 201, the echo parses as HITLDetailRequest; asking again returns it as stored',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          const sent = hitlQuestion(ctx, ti.id);
          const res = await client.request('POST', `/hitlDetails/${ti.id}`, { content: JSON.stringify(sent) });
          expect(res.status).toBe(201);
          expectJson(res);
          expectModel(ctx.version.responses.HITLDetailRequest, res.json);
          expect(res.json).toEqual(sent);
          const again = await client.request('POST', `/hitlDetails/${ti.id}`, { content: JSON.stringify({ ...sent, subject: 'changed' }) });
          expect([again.status, (again.json as { subject: string }).subject]).toEqual([201, sent.subject]);
        },
      },
    ],
  },
  {
    n: 49,
    method: 'hitl.update_response',
    http: 'PATCH hitlDetails/{ti_id}',
    since: '2025-08-10',
    cases: [
      {
        name: 'the task records the defaults: 200, parses as HITLDetailResponse; a second answer is a 409 with Airflow’s plain-string detail',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await client.request('POST', `/hitlDetails/${ti.id}`, { content: JSON.stringify(hitlQuestion(ctx, ti.id)) });
          const body = ctx.version.requests.updateHitlDetail({ ti_id: ti.id, chosen_options: ['Reject'], params_input: { comment: 'timed out' } });
          const res = await client.request('PATCH', `/hitlDetails/${ti.id}`, { content: JSON.stringify(body) });
          expect(res.status).toBe(200);
          expectModel(ctx.version.responses.HITLDetailResponse, res.json);
          expect(res.json).toEqual({
            response_received: true,
            responded_by_user: null,
            responded_at: expect.any(String),
            chosen_options: ['Reject'],
            params_input: { comment: 'timed out' },
          });
          const error = await thrown(() => client.request('PATCH', `/hitlDetails/${ti.id}`, { content: JSON.stringify(body) }));
          expect(error).toBeInstanceOf(ServerResponseError);
          expect((error as ServerResponseError).response.status).toBe(409);
          // Airflow's plain-string detail: `from_response` makes it the error's message, with no parsed detail.
          expect([(error as ServerResponseError).message, (error as ServerResponseError).detail]).toEqual([
            `Human-in-the-loop detail for Task Instance with id ${ti.id} already exists.`,
            null,
          ]);
        },
      },
    ],
  },
  {
    n: 50,
    method: 'hitl.get_detail_response',
    http: 'GET hitlDetails/{ti_id}',
    since: '2025-08-10',
    cases: [
      {
        name: 'before and after a person answers: 200 both, parse as HITLDetailResponse, the answer names who and when',
        async run(ctx) {
          const { ti, client } = await startedTi(ctx);
          await client.request('POST', `/hitlDetails/${ti.id}`, { content: JSON.stringify(hitlQuestion(ctx, ti.id)) });
          const before = await client.request('GET', `/hitlDetails/${ti.id}`);
          expect(before.status).toBe(200);
          expectModel(ctx.version.responses.HITLDetailResponse, before.json);
          expect(before.json).toEqual({ response_received: false, responded_by_user: null, responded_at: null, chosen_options: null, params_input: {} });
          const answered = await http(ctx.baseUrl, 'PATCH', `/api/v1/task-instances/${ti.id}/hitl-detail`, { chosen_options: ['Approve'] }, await admin());
          expect(answered.status).toBe(200);
          const after = await client.request('GET', `/hitlDetails/${ti.id}`);
          expectModel(ctx.version.responses.HITLDetailResponse, after.json);
          expect(after.json).toEqual({
            response_received: true,
            responded_by_user: { id: answered.body.responded_by_user.id, name: answered.body.responded_by_user.name },
            responded_at: answered.body.responded_at,
            chosen_options: ['Approve'],
            params_input: {},
          });
        },
      },
    ],
  },
  { n: 51, method: 'connection_tests.get_connection', http: 'GET connection-tests/{id}/connection', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 52, method: 'connection_tests.update_state', http: 'PATCH connection-tests/{id}', since: '2026-06-30', notImplemented: NO_ISSUE },
  { n: 53, method: 'callbacks.run', http: 'PATCH callbacks/{id}/run', since: '2026-10-30', notImplemented: NO_ISSUE },
];
