import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ValidationIssueDto {
  @ApiProperty({ example: 'map_index', description: 'JSON path of the failing value ("" for the whole body).' })
  path: string;

  @ApiProperty({ example: 'map_index must not be less than -1' })
  message: string;
}

/**
 * The one error envelope of this service: RFC 9457 problem details
 * (`application/problem+json`) plus a machine-readable `reason`.
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
    description:
      'Machine-readable reason. Airflow reason words where they exist (not_found, already_exists, invalid_state, ...).',
  })
  reason: string;

  @ApiProperty({ example: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a', description: 'Echo of the request correlation id.' })
  correlation_id: string;

  @ApiPropertyOptional({ type: [ValidationIssueDto], description: 'Validation errors: one entry per failing path.' })
  errors?: ValidationIssueDto[];

  @ApiPropertyOptional({ example: 'task_instance_composite_key', description: 'The named database constraint involved, when there is one.' })
  constraint?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The task instance the error is about (not_found).' })
  task_instance_id?: string;

  @ApiPropertyOptional({ example: 'running', description: 'invalid_state: the state the task instance was in.' })
  previous_state?: string;

  @ApiPropertyOptional({ example: 'success', description: 'not_running: the state the task instance is in now.' })
  current_state?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'worker-2', description: 'running_elsewhere: the host running the task instance.' })
  current_hostname?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 4242, description: 'running_elsewhere: the pid running the task instance.' })
  current_pid?: number | null;
}
