import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { integerText, IsIntegerIn, IsPathText } from '../common/http/query-rules';

/**
 * The ids of a task-instance key in a route's path (`…/:dag_id/:run_id/:task_id/…`), read by
 * `TaskInstanceKeyResolver` in the guard. Any length: a longer id than a column holds names no
 * task instance (403, not 422); empty or with a control character (U+0000 could not reach SQL
 * text) is refused, the message naming the part.
 */
export class TaskInstanceKeyParams {
  @IsPathText(Number.POSITIVE_INFINITY, { named: true })
  dag_id: string;

  @IsPathText(Number.POSITIVE_INFINITY, { named: true })
  run_id: string;

  @IsPathText(Number.POSITIVE_INFINITY, { named: true })
  task_id: string;
}

const INT32_MAX = 2_147_483_647;
const MAP_INDEX_MESSAGE = `map_index must be an integer from -1 to ${INT32_MAX}`;

/**
 * The `map_index` of a task instance named by key: the query string's (or the path's, where a
 * route has one), absent meaning -1 (an unmapped task). One message for every mistake (not an
 * integer, given twice, out of range), never echoing the value. Validated at guard time by
 * `TaskInstanceKeyResolver` and XCom's write check (`validateRequestPart(s)`); the XCom handlers'
 * own `map_index` (`MapIndexQuery`, the OpenAPI document's) is the pipe's, worded as before.
 */
export class TaskInstanceMapIndex {
  @IsOptional()
  @Transform(integerText(/^-?[0-9]{1,10}$/))
  @IsIntegerIn(-1, INT32_MAX, { notInteger: MAP_INDEX_MESSAGE, below: MAP_INDEX_MESSAGE, above: MAP_INDEX_MESSAGE })
  map_index?: number;
}
