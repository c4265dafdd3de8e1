import { z } from 'zod';
import * as next from './sdk-1.3';

/**
 * Task SDK 1.2.x (Airflow 3.2), `Airflow-API-Version: 2026-04-06`.
 *
 * Derived from the 1.3 models (`./sdk-1.3`) by undoing the 2026-06-30 changes listed in
 * `airflow-core/src/airflow/api_fastapi/execution_api/versions/__init__.py` and
 * `versions/v2026_06_30.py` (apache/airflow, read through the search tool): `AddTeamNameField`
 * (`DagRun.team_name`), `AddRetryPolicyFields` (`TIRetryStatePayload.retry_delay_seconds`,
 * `retry_reason`), `AddAwaitingInputStatePayload` (no `awaiting_input` payload or state), and
 * `first_task_reschedule_start_date` in `TIRunContext` (ignored anyway: the model has no `extra`
 * policy). `DagRunType` and the deferred payload's `queue` are as in the generated file at
 * `API_VERSION = "2026-03-31"` (aws-mwaa/upstream-to-airflow, commit 12db209a, a fork of
 * apache/airflow): `queue` is there, `operator_triggered` and `asset_materialization` are not.
 * Which of 2026-03-31 and 2026-04-06 the 3.2.0 wheel sends was not pinned (no wheel here); the
 * replay sends 2026-04-06, the newest date with the 3.2 shape changes.
 */

export const DagRunType = z.enum(['backfill', 'scheduled', 'manual', 'asset_triggered']);
export const TaskInstanceState = next.TaskInstanceState.exclude(['awaiting_input']);

export const DagRun = next.DagRun.omit({ team_name: true }).extend({ run_type: DagRunType });
export const TIRunContext = next.TIRunContext.omit({ first_task_reschedule_start_date: true }).extend({ dag_run: DagRun });

export const RESPONSE_MODELS: next.ResponseModels = { ...next.RESPONSE_MODELS, TIRunContext, DagRun };

export const REQUEST_BODIES: next.RequestBodies = {
  ...next.REQUEST_BODIES,
  retry: (p) => ({ state: 'up_for_retry', end_date: p.end_date, rendered_map_index: p.rendered_map_index }),
  /** The call does not exist before 2026-06-30: a 1.2 worker never sends it. */
  awaitingInput: () => undefined,
};

export const MODELS = { responses: RESPONSE_MODELS, requests: REQUEST_BODIES };
