import { ApiPropertyOptional } from '@nestjs/swagger';
import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/** The XCom routes' problem body: the common members plus the XCom ones. */
export class XComProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: 'return_value', description: 'not_found: the XCom key asked for.' })
  key?: string;

  @ApiPropertyOptional({ example: -1, description: 'not_found: the map index asked for.' })
  map_index?: number;

  @ApiPropertyOptional({ example: 3, description: 'not_found: the position asked for (item/{offset}, or ?offset=).' })
  offset?: number;

  @ApiPropertyOptional({ example: 1024, description: 'unmappable_return_value_length: XCOM_MAX_MAP_LENGTH.' })
  max_map_length?: number;

  @ApiPropertyOptional({ example: 1048576, description: 'payload_too_large: the limit in bytes.' })
  limit_bytes?: number;

  @ApiPropertyOptional({ example: 'example_dag', description: 'wrong_dag: the dag of the task instance the token was issued for.' })
  token_dag_id?: string;
}

/** The problem codes the XCom module owns, and their statuses (Airflow's where it has one). */
export const XCOM_PROBLEMS = defineProblemCodes('xcom', XComProblemDto, {
  /** No XCom at that key / map index / position: Airflow's 404 `not_found`. */
  xcom_not_found: 404,
  /** `HEAD` with `map_index`: Airflow's 400 `invalid_request`. */
  xcom_invalid_request: 400,
  /** `mapped_length` above XCOM_MAX_MAP_LENGTH: Airflow's 400 `unmappable_return_value_length`. */
  unmappable_return_value_length: 400,
  /** A value above XCOM_MAX_VALUE_BYTES. */
  xcom_value_too_large: 413,
});

export const XCOM_WRITTEN_MESSAGE = 'XCom successfully set';
export const xcomDeletedMessage = (key: string): string => `XCom with key: ${key} successfully deleted.`;

/** Airflow's message, with the key quoted as Python's `repr` would (`key='k'`). */
export function xcomNotFound(where: { dagId: string; runId: string; taskId: string; key: string }, by: { mapIndex: number } | { offset: number }) {
  const position = 'offset' in by ? `offset=${by.offset}` : `map_index=${by.mapIndex}`;
  return XCOM_PROBLEMS.error(
    'xcom_not_found',
    `XCom with key=${JSON.stringify(where.key)} ${position} not found for task ${JSON.stringify(where.taskId)} in DAG run ${JSON.stringify(where.runId)} of ${JSON.stringify(where.dagId)}`,
    'not_found',
    'offset' in by ? { key: where.key, offset: by.offset } : { key: where.key, map_index: by.mapIndex },
  );
}
