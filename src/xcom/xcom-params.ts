import { RequestValidationException, validatePathParams } from '../common/problem/validation';
import { XComSeriesParams } from './dto/xcom-series.params';

/** The XComs of one task (all its map indexes) under one key, in one dag run. */
export interface XComSeries {
  dagId: string;
  runId: string;
  taskId: string;
  key: string;
}

const INT32_MAX = 2_147_483_647;

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

/** The `map_index` query parameter (default -1); 422 unless an integer from -1 to 2^31-1. */
export function mapIndexOf(value: unknown): number {
  if (value === undefined) return -1;
  const n = typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < -1 || n > INT32_MAX) {
    throw new RequestValidationException([{ path: 'map_index', message: `map_index must be an integer from -1 to ${INT32_MAX}`, location: 'query' }]);
  }
  return n;
}
