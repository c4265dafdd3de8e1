import { validatePathParams, validateRequestPart } from '../common/problem/validation';
import { TaskInstanceMapIndex } from '../task-instances/task-instance-key.params';
import { XComSeriesParams } from './dto/xcom-series.params';

/** The XComs of one task (all its map indexes) under one key, in one dag run. */
export interface XComSeries {
  dagId: string;
  runId: string;
  taskId: string;
  key: string;
}

/**
 * The path's series, each part validated (422 naming the first bad one, never echoing it). Called
 * from the guard (before any pipe) and the handlers, whose paths may hold more (`offset`), so the
 * four parts are picked before `validatePathParams` sees them.
 */
export function seriesOf(params: Record<string, unknown>): XComSeries {
  const { dag_id, run_id, task_id, key } = params;
  const path = validatePathParams(XComSeriesParams, { dag_id, run_id, task_id, key });
  return { dagId: path.dag_id, runId: path.run_id, taskId: path.task_id, key: path.key };
}

/**
 * The `map_index` query parameter (default -1), by the task-instance key's rule: 422 unless an
 * integer from -1 to 2^31-1, under the default detail (the guard checks it after the path, so a
 * request bad in both is answered about the path alone).
 */
export function mapIndexOf(value: unknown): number {
  return validateRequestPart(TaskInstanceMapIndex, { map_index: value }, 'query').map_index ?? -1;
}
