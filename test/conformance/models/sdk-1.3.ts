import { z } from 'zod';
import { awareDatetime, dict, int, jsonValue } from './pydantic';

/**
 * Task SDK 1.3.x (Airflow 3.3), `Airflow-API-Version: 2026-06-30`.
 *
 * Derived from `task-sdk/src/airflow/sdk/api/datamodels/_generated.py` in apache/airflow at commit
 * 014c5f048a124587b9355a2a9ba33cf12684ef5e (`API_VERSION: Final[str] = "2026-06-30"`), read through
 * the search tool; only the models the client parses or sends on the calls this service serves.
 * Field order below is the generated order: pydantic's `model_dump_json()` writes fields in that
 * order, so the request builders do too.
 */

export const DagRunState = z.enum(['queued', 'running', 'success', 'failed']);
export const DagRunType = z.enum(['backfill', 'scheduled', 'manual', 'operator_triggered', 'asset_triggered', 'asset_materialization']);
export const TaskInstanceState = z.enum([
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
  'awaiting_input',
]);

export const AssetProfile = z.strictObject({ name: z.string().nullable().optional(), uri: z.string().nullable().optional(), type: z.string() });

const AssetEventDagRunReference = z.strictObject({
  asset: z.strictObject({ name: z.string(), uri: z.string(), extra: z.record(z.string(), jsonValue) }),
  extra: z.record(z.string(), jsonValue),
  source_task_id: z.string().nullable().optional(),
  source_dag_id: z.string().nullable().optional(),
  source_run_id: z.string().nullable().optional(),
  source_map_index: int.nullable().optional(),
  source_aliases: z.array(z.strictObject({ name: z.string() })),
  timestamp: awareDatetime,
});

/** `DagRun`: `extra="forbid"`, so a field this version does not know fails the whole run context. */
export const DagRun = z.strictObject({
  dag_id: z.string(),
  run_id: z.string(),
  logical_date: awareDatetime.nullable().optional(),
  data_interval_start: awareDatetime.nullable().optional(),
  data_interval_end: awareDatetime.nullable().optional(),
  run_after: awareDatetime,
  start_date: awareDatetime.nullable().optional(),
  end_date: awareDatetime.nullable().optional(),
  clear_number: int.nullable().optional(),
  run_type: DagRunType,
  state: DagRunState,
  conf: dict.nullable().optional(),
  triggering_user_name: z.string().nullable().optional(),
  consumed_asset_events: z.array(AssetEventDagRunReference),
  partition_key: z.string().nullable().optional(),
  note: z.string().nullable().optional(),
  team_name: z.string().nullable().optional(),
});

const VariableResponse = z.strictObject({ key: z.string(), value: z.string().nullable().optional() });
const ConnectionResponse = z.object({
  conn_id: z.string(),
  conn_type: z.string(),
  host: z.string().nullable().optional(),
  schema: z.string().nullable().optional(),
  login: z.string().nullable().optional(),
  password: z.string().nullable().optional(),
  port: int.nullable().optional(),
  extra: z.string().nullable().optional(),
});

/** `TIRunContext`: no `model_config`, so unknown keys are ignored (only `dag_run` is strict). */
export const TIRunContext = z.object({
  dag_run: DagRun,
  task_reschedule_count: int.nullable().optional(),
  first_task_reschedule_start_date: awareDatetime.nullable().optional(),
  max_tries: int,
  variables: z.array(VariableResponse).nullable().optional(),
  connections: z.array(ConnectionResponse).nullable().optional(),
  next_method: z.string().nullable().optional(),
  next_kwargs: z.union([dict, z.string()]).nullable().optional(),
  xcom_keys_to_clear: z.array(z.string()).nullable().optional(),
  should_retry: z.boolean().nullable().optional(),
  start_date: awareDatetime.nullable().optional(),
});

export const PrevSuccessfulDagRunResponse = z.object({
  data_interval_start: awareDatetime.nullable().optional(),
  data_interval_end: awareDatetime.nullable().optional(),
  start_date: awareDatetime.nullable().optional(),
  end_date: awareDatetime.nullable().optional(),
});

export const PreviousTIResponse = z.object({
  task_id: z.string(),
  dag_id: z.string(),
  run_id: z.string(),
  logical_date: awareDatetime.nullable().optional(),
  start_date: awareDatetime.nullable().optional(),
  end_date: awareDatetime.nullable().optional(),
  state: z.string().nullable().optional(),
  try_number: int,
  map_index: int.nullable().optional(),
  duration: z.number().nullable().optional(),
});

export const TaskStatesResponse = z.object({ task_states: dict });
export const TaskBreadcrumbsResponse = z.object({ breadcrumbs: z.array(dict) });
export const InactiveAssetsResponse = z.object({ inactive_assets: z.array(AssetProfile).nullable().optional() });

/** `AssetResponse` (`assets.get`, and inside every asset event). */
export const AssetResponse = z.object({ name: z.string(), uri: z.string(), group: z.string(), extra: dict.nullable().optional() });
/** `get_by_alias` (2026-06-30): a list of `AssetResponse` (as task-sdk-conformance.md row 39 has it; the wrapper model, if any, not read). */
export const AssetResponseList = z.array(AssetResponse);
/** `DagRunAssetReference` is a `StrictBaseModel`: a field it does not know fails the event. */
const DagRunAssetReference = z.strictObject({
  run_id: z.string(),
  dag_id: z.string(),
  logical_date: awareDatetime.nullable(),
  start_date: awareDatetime,
  end_date: awareDatetime.nullable(),
  state: z.string(),
  data_interval_start: awareDatetime.nullable(),
  data_interval_end: awareDatetime.nullable(),
});
export const AssetEventResponse = z.object({
  id: int,
  timestamp: awareDatetime,
  extra: z.record(z.string(), jsonValue).nullable().optional(),
  asset: AssetResponse,
  created_dagruns: z.array(DagRunAssetReference),
  source_task_id: z.string().nullable().optional(),
  source_dag_id: z.string().nullable().optional(),
  source_run_id: z.string().nullable().optional(),
  source_map_index: int.nullable().optional(),
  partition_key: z.string().nullable().optional(),
});
export const AssetEventsResponse = z.object({ asset_events: z.array(AssetEventResponse) });

/** `XComResponse`: `value: JsonValue` has no default, so the key must be present (null allowed). */
export const XComResponse = z.object({ key: z.string(), value: jsonValue });
export const XComSequenceIndexResponse = jsonValue;
export const XComSequenceSliceResponse = z.array(jsonValue);

/** `get_reschedule_start_date` reads `resp.json()` into `TaskRescheduleStartDate.start_date: AwareDatetime | None`. */
export const TaskRescheduleStartDate = awareDatetime.nullable();
/** `get_count` reads `resp.json()` into `TICount.count: int`. */
export const TICount = int;
/** `get_previous` reads `resp.json()` into `PreviousTIResult.task_instance: PreviousTIResponse | None`. */
export const PreviousTIResult = PreviousTIResponse.nullable();

/** `HITLUser`, `HITLDetailRequest` (the 201 echo is parsed with it), `HITLDetailResponse`: no `extra` policy, unknown keys ignored. */
const HITLUser = z.object({ id: z.string(), name: z.string() });
export const HITLDetailRequest = z.object({
  ti_id: z.uuid(),
  options: z.array(z.string()).min(1),
  subject: z.string(),
  body: z.string().nullable().optional(),
  defaults: z.array(z.string()).nullable().optional(),
  multiple: z.boolean().nullable().optional(),
  params: dict.nullable().optional(),
  assigned_users: z.array(HITLUser).nullable().optional(),
});
export const HITLDetailResponse = z.object({
  response_received: z.boolean(),
  responded_by_user: HITLUser.nullable().optional(),
  responded_at: awareDatetime.nullable().optional(),
  chosen_options: z.array(z.string()).nullable().optional(),
  params_input: dict.nullable().optional(),
});

export const HTTPExceptionResponse = z.object({ detail: z.union([z.string(), dict]) });
export const ValidationError = z.object({
  loc: z.array(z.union([z.string(), int])),
  msg: z.string(),
  type: z.string(),
  input: z.unknown().optional(),
  ctx: dict.nullable().optional(),
});
export const HTTPValidationError = z.object({ detail: z.array(ValidationError).nullable().optional() });

/** The response models one SDK version parses; each older file overrides what differs. */
/** `DagRunStateResponse` (`dag_runs.get_state`). */
export const DagRunStateResponse = z.strictObject({ state: DagRunState });
/**
 * `DagResponse` (`dags.get`, API 2026-04-06), from the field list of task-sdk-conformance.md row 47;
 * the field types were not read from `_generated.py` (owners as Airflow's comma-separated string).
 */
export const DagResponse = z.strictObject({
  dag_id: z.string(),
  is_paused: z.boolean(),
  bundle_name: z.string().nullable().optional(),
  bundle_version: z.string().nullable().optional(),
  relative_fileloc: z.string().nullable().optional(),
  owners: z.string().nullable().optional(),
  tags: z.array(z.string()),
  next_dagrun: awareDatetime.nullable().optional(),
});

export const RESPONSE_MODELS = {
  TIRunContext,
  DagRun,
  DagRunStateResponse,
  DagResponse,
  PrevSuccessfulDagRunResponse,
  PreviousTIResult,
  TaskStatesResponse,
  TaskBreadcrumbsResponse,
  InactiveAssetsResponse,
  AssetResponse,
  AssetResponseList,
  AssetEventsResponse,
  TaskRescheduleStartDate,
  TICount,
  XComResponse,
  XComSequenceIndexResponse,
  XComSequenceSliceResponse,
  HITLDetailRequest,
  HITLDetailResponse,
  HTTPExceptionResponse,
  HTTPValidationError,
  VariableResponse,
  ConnectionResponse,
  /** `VariableKeysResponse {keys, total_entries}` (2026-06-30: `variables.keys`). */
  VariableKeysResponse: z.object({ keys: z.array(z.string()), total_entries: int }),
};
/** What every version's file exports: the same names, each version's own schemas. */
export type ResponseModels = { [K in keyof typeof RESPONSE_MODELS]: z.ZodType };

/** Inputs a request builder needs; the builders fill the rest the way the SDK's models do. */
export interface RetryInput {
  end_date: string;
  rendered_map_index: string | null;
  retry_delay_seconds?: number | null;
  retry_reason?: string | null;
}
export interface DeferInput {
  classpath: string;
  trigger_kwargs: Record<string, unknown> | string;
  trigger_timeout: string | null;
  next_method: string;
  next_kwargs: Record<string, unknown> | null;
  rendered_map_index: string | null;
}

/**
 * The request bodies exactly as `TaskInstanceOperations` sends them: `body.model_dump_json()` of
 * the generated payload, so every field is present (defaults and unset optionals as `null`), in
 * declaration order.
 */
export const REQUEST_BODIES = {
  /** `TIEnterRunningPayload(pid=…, hostname=…, unixname=…, start_date=…)` */
  enterRunning: (p: { hostname: string; unixname: string; pid: number; start_date: string }) => ({
    state: 'running',
    hostname: p.hostname,
    unixname: p.unixname,
    pid: p.pid,
    start_date: p.start_date,
  }),
  /** `TITerminalStatePayload(end_date=…, state=…, rendered_map_index=…)` */
  terminal: (p: { state: 'failed' | 'skipped' | 'removed' | 'upstream_failed'; end_date: string; rendered_map_index: string | null }) => ({
    state: p.state,
    end_date: p.end_date,
    rendered_map_index: p.rendered_map_index,
  }),
  /** `TISuccessStatePayload(end_date=…, task_outlets=…, outlet_events=…, rendered_map_index=…)` */
  success: (p: { end_date: string; task_outlets: unknown[]; outlet_events: unknown[]; rendered_map_index: string | null }) => ({
    state: 'success',
    end_date: p.end_date,
    task_outlets: p.task_outlets,
    outlet_events: p.outlet_events,
    rendered_map_index: p.rendered_map_index,
  }),
  /** `TIRetryStatePayload(...)`: 2026-06-30 added `retry_delay_seconds`, `retry_reason`, sent as null when unused. */
  retry: (p: RetryInput): Record<string, unknown> => ({
    state: 'up_for_retry',
    end_date: p.end_date,
    rendered_map_index: p.rendered_map_index,
    retry_delay_seconds: p.retry_delay_seconds ?? null,
    retry_reason: p.retry_reason ?? null,
  }),
  /** `TIDeferredStatePayload(**msg.model_dump(exclude_unset=True, exclude={"type"}))`, `queue` null unless set. */
  deferred: (p: DeferInput): Record<string, unknown> => ({
    state: 'deferred',
    classpath: p.classpath,
    trigger_kwargs: p.trigger_kwargs,
    trigger_timeout: p.trigger_timeout,
    queue: null,
    next_method: p.next_method,
    next_kwargs: p.next_kwargs,
    rendered_map_index: p.rendered_map_index,
  }),
  /** `TIAwaitingInputStatePayload` (HITL, new at 2026-06-30). */
  awaitingInput: (p: {
    timeout: string | null;
    next_method: string;
    next_kwargs: Record<string, unknown> | null;
    rendered_map_index: string | null;
  }): Record<string, unknown> | undefined => ({
    state: 'awaiting_input',
    timeout: p.timeout,
    next_method: p.next_method,
    next_kwargs: p.next_kwargs,
    rendered_map_index: p.rendered_map_index,
  }),
  /** `TIRescheduleStatePayload(**msg.model_dump(exclude_unset=True, exclude={"type"}))` */
  reschedule: (p: { reschedule_date: string; end_date: string }) => ({ state: 'up_for_reschedule', reschedule_date: p.reschedule_date, end_date: p.end_date }),
  /** `TIHeartbeatInfo(pid=…, hostname=…)` */
  heartbeat: (p: { hostname: string; pid: number }) => ({ hostname: p.hostname, pid: p.pid }),
  /** `TISkippedDownstreamTasksStatePayload(tasks=…)`; a `(task_id, map_index)` tuple dumps as a JSON array. */
  skipDownstream: (p: { tasks: (string | [string, number])[] }) => ({ tasks: p.tasks }),
  /** `HITLOperations.add_response`: `HITLDetailRequest(...).model_dump_json()`, every field in order. */
  hitlDetail: (p: {
    ti_id: string;
    options: string[];
    subject: string;
    body: string | null;
    defaults: string[] | null;
    multiple: boolean;
    params: Record<string, unknown> | null;
    assigned_users: { id: string; name: string }[] | null;
  }) => ({
    ti_id: p.ti_id,
    options: p.options,
    subject: p.subject,
    body: p.body,
    defaults: p.defaults,
    multiple: p.multiple,
    params: p.params,
    assigned_users: p.assigned_users,
  }),
  /** `HITLOperations.update_response`: `UpdateHITLDetailPayload(...).model_dump_json()`. */
  updateHitlDetail: (p: { ti_id: string; chosen_options: string[]; params_input: Record<string, unknown> | null }) => ({
    ti_id: p.ti_id,
    chosen_options: p.chosen_options,
    params_input: p.params_input,
  }),
};
export type RequestBodies = typeof REQUEST_BODIES;

export const MODELS = { responses: RESPONSE_MODELS, requests: REQUEST_BODIES };
