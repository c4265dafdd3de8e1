import { dict } from './pydantic';
import type { RequestBodies, ResponseModels } from './sdk-1.3';
import * as next from './sdk-1.1';

/**
 * Task SDK 1.0.x (Airflow 3.0), `Airflow-API-Version: 2025-05-20` (3.0.2 on; 3.0.0/3.0.1 sent
 * 2025-04-11 / 2025-04-28, whose shapes differ only in `upstream_map_indexes`, which this service
 * sends as null, and in `rendered_map_index` missing from the state bodies before 2025-04-28).
 *
 * Derived from the 1.1 models (`./sdk-1.1`) by undoing the changes between 2025-05-20 and
 * 2025-11-05 in `airflow-core/src/airflow/api_fastapi/execution_api/versions/` (apache/airflow,
 * read through the search tool):
 * - `v2025_11_05.AddTriggeringUserNameField`: no `DagRun.triggering_user_name`.
 * - `v2025_10_27.MakeDagRunConfNullable`: Airflow turns a null `conf` into `{}` for older
 *   clients, so `conf` is modelled as a dict that is never null.
 * - `v2025_08_10.AddDagRunStateFieldAndPreviousEndpoint`: no `DagRun.state`;
 *   `AddIncludePriorDatesToGetXComSlice`: the slice call sends no `include_prior_dates`.
 * - `v2025_09_23.AddDagVersionIdField` touches only `TaskInstance`, which no call here parses.
 */

export const DagRun = next.DagRun.omit({ triggering_user_name: true, state: true }).extend({ conf: dict.optional() });
export const TIRunContext = next.TIRunContext.extend({ dag_run: DagRun });

export const RESPONSE_MODELS: ResponseModels = { ...next.RESPONSE_MODELS, TIRunContext, DagRun };
export const REQUEST_BODIES: RequestBodies = next.REQUEST_BODIES;

export const MODELS = { responses: RESPONSE_MODELS, requests: REQUEST_BODIES };
