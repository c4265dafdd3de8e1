import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ValidationIssueDto {
  @ApiProperty({ example: 'map_index', description: 'JSON path of the failing value ("" for the whole body).' })
  path: string;

  @ApiProperty({ example: 'map_index must not be less than -1' })
  message: string;
}

/**
 * The one error envelope of this service: RFC 9457 problem details
 * (`application/problem+json`) plus a machine-readable `reason`. The members here are the ones
 * every route can give; a feature module documents its own extension members in a subclass
 * (`TaskInstanceProblemDto`, `XComProblemDto`), passed to `@Endpoint({ problem })`.
 */
export class ProblemDto {
  @ApiProperty({ example: 'urn:task-execution-api:problem:not_found', description: 'URI identifying the problem type; ends with the reason.' })
  type: string;

  @ApiProperty({ example: 'Not Found' })
  title: string;

  @ApiProperty({ example: 404 })
  status: number;

  @ApiProperty({ example: 'Task instance 0193... not found' })
  detail: string;

  @ApiProperty({ example: '/execution/task-instances/0193.../rtif', description: 'The request path.' })
  instance: string;

  @ApiProperty({
    example: 'not_found',
    description: 'Machine-readable reason. Airflow reason words where they exist (not_found, already_exists, invalid_state, ...).',
  })
  reason: string;

  @ApiProperty({ example: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a', description: 'Echo of the request correlation id.' })
  correlation_id: string;

  @ApiPropertyOptional({ type: [ValidationIssueDto], description: 'Validation errors: one entry per failing path.' })
  errors?: ValidationIssueDto[];

  @ApiPropertyOptional({ example: 'task_instance_composite_key', description: 'The named database constraint involved, when there is one.' })
  constraint?: string;
}
