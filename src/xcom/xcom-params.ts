import { TextParamPipe } from '../common/http/pipes/text-param.pipe';
import { RequestValidationException } from '../common/problem/validation';
import { XCOM_KEY_MAX_LENGTH } from './xcom.entity';

/** The XComs of one task (all its map indexes) under one key, in one dag run. */
export interface XComSeries {
  dagId: string;
  runId: string;
  taskId: string;
  key: string;
}

const ID = new TextParamPipe(250);
const KEY = new TextParamPipe(XCOM_KEY_MAX_LENGTH);
const INT32_MAX = 2_147_483_647;

/** The path's series, each part validated (422 naming it, never echoing it). */
export function seriesOf(params: Record<string, unknown>): XComSeries {
  return {
    dagId: ID.transform(params.dag_id, { data: 'dag_id' }),
    runId: ID.transform(params.run_id, { data: 'run_id' }),
    taskId: ID.transform(params.task_id, { data: 'task_id' }),
    key: KEY.transform(params.key, { data: 'key' }),
  };
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
