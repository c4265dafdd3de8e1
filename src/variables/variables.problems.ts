import { ApiPropertyOptional } from '@nestjs/swagger';
import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/** The variable routes' problem body: the common members plus the variable ones. */
export class VariableProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: 'my_key', description: 'not_found: the variable key asked for.' })
  key?: string;
}

/** The problem codes the variables module owns (Airflow's statuses and reasons). */
export const VARIABLE_PROBLEMS = defineProblemCodes('variables', VariableProblemDto, {
  /** No variable under the key: Airflow's 404 `not_found`. */
  variable_not_found: 404,
  /** The access policy refused the token this variable: Airflow's 403 `access_denied`. */
  variable_access_denied: 403,
});

export const VARIABLE_SET_MESSAGE = 'Variable successfully set';

/** Airflow's message, the key quoted as Python's f-string with `'…'` does. */
export const variableNotFound = (key: string) => VARIABLE_PROBLEMS.error('variable_not_found', `Variable with key '${key}' not found`, 'not_found', { key });
