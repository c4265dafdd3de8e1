import { ApiPropertyOptional } from '@nestjs/swagger';
import { defineProblemCodes } from '../problem/module-problems';
import { ProblemDto } from '../problem/problem.dto';

/** The problem body of a version no route serves. */
export class ApiVersionProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: '2025-04-11', description: 'api_version_not_served: the oldest version this service serves.' })
  oldest_version?: string;
}

/**
 * Airflow answers a version older than its first one with 404 Not Found (Cadwyn finds no route for
 * it); the reason word is Airflow's `not_found`.
 */
export const API_VERSION_PROBLEMS = defineProblemCodes('api-version', ApiVersionProblemDto, {
  api_version_not_served: 404,
});
