import { z } from 'zod';
import { awareDatetime, int } from './pydantic';
import type { RequestBodies, ResponseModels } from './sdk-1.3';
import * as next from './sdk-1.2';

/**
 * Task SDK 1.1.x (Airflow 3.1), `Airflow-API-Version: 2025-11-05` (3.1.x releases from late 2025
 * on; earlier 3.1 releases sent 2025-08-10 … 2025-10-27, see the compatibility doc).
 *
 * Derived from the 1.2 models (`./sdk-1.2`) by undoing the 2026-04-06 changes in
 * `airflow-core/src/airflow/api_fastapi/execution_api/versions/v2026_04_06.py` (apache/airflow,
 * read through the search tool):
 * - `AddPartitionKeyField`, `AddNoteField`: `DagRun` has neither `partition_key` nor `note`.
 * - `MakeDagRunStartDateNullable`: `DagRun.start_date` had type `UtcDateTime`, i.e. required and
 *   not null (Airflow fills it from `run_after` for these clients).
 * - `RemoveUpstreamMapIndexesField`: `TIRunContext.upstream_map_indexes` existed as
 *   `dict[str, int | list[int] | None] | None`.
 * - `AddTaskInstanceStartDateField`: no `TIRunContext.start_date` (ignored anyway).
 * - `ModifyDeferredTaskKwargsToJsonValue`: `trigger_kwargs: dict[str, Any] | str`,
 *   `next_kwargs: dict[str, Any]` (same JSON on the wire for what the replay sends).
 * The deferred payload has no `queue` (the reference's 3.1-era server model has none).
 */

export const DagRun = next.DagRun.omit({ partition_key: true, note: true }).extend({ start_date: awareDatetime });
const upstreamMapIndexes = z
  .record(z.string(), z.union([int, z.array(int)]).nullable())
  .nullable()
  .optional();
export const TIRunContext = next.TIRunContext.omit({ start_date: true }).extend({ dag_run: DagRun, upstream_map_indexes: upstreamMapIndexes });

export const RESPONSE_MODELS: ResponseModels = { ...next.RESPONSE_MODELS, TIRunContext, DagRun };

export const REQUEST_BODIES: RequestBodies = {
  ...next.REQUEST_BODIES,
  deferred: (p) => ({
    state: 'deferred',
    classpath: p.classpath,
    trigger_kwargs: p.trigger_kwargs,
    trigger_timeout: p.trigger_timeout,
    next_method: p.next_method,
    next_kwargs: p.next_kwargs,
    rendered_map_index: p.rendered_map_index,
  }),
};

export const MODELS = { responses: RESPONSE_MODELS, requests: REQUEST_BODIES };
