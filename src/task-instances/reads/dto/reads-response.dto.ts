import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** `GET /execution/task-instances/states` response (Airflow's `TaskStatesResponse`). */
@ApiSchema({ name: 'TaskStatesResponse' })
export class TaskStatesResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'string', nullable: true } },
    example: { 'manual__2026-11-25T00:00:00+00:00': { extract: 'success', transform_0: 'running', 'group1.load': null } },
    description: 'run_id → (task_id, or `task_id_{map_index}` for a mapped task instance) → state (null: none yet).',
  })
  task_states: Record<string, Record<string, string | null>>;
}

/** `GET /execution/task-instances/previous/{dag_id}/{task_id}` response (Airflow's `PreviousTIResponse`). */
@ApiSchema({ name: 'PreviousTIResponse' })
export class PreviousTIResponse {
  @ApiProperty({ example: 'extract' }) task_id: string;
  @ApiProperty({ example: 'example_dag' }) dag_id: string;
  @ApiProperty({ example: 'scheduled__2026-11-24T00:00:00+00:00' }) run_id: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) logical_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) start_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) end_date: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'success' }) state: string | null;
  @ApiProperty({ example: 1 }) try_number: number;
  @ApiProperty({ example: -1 }) map_index: number;
  @ApiProperty({ type: Number, nullable: true, example: 12.5 }) duration: number | null;
}

@ApiSchema({ name: 'TaskBreadcrumb' })
export class TaskBreadcrumb {
  @ApiProperty({ example: 'extract' }) task_id: string;
  @ApiProperty({ example: -1 }) map_index: number;
  @ApiProperty({ example: 'success' }) state: string;
  @ApiProperty({ type: String, nullable: true, example: 'PythonOperator' }) operator: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 12.5, description: 'Seconds, as recorded when the try finished.' }) duration: number | null;
}

/** `GET /execution/task-instances/breadcrumbs` response (Airflow's `TaskBreadcrumbsResponse`). */
@ApiSchema({ name: 'TaskBreadcrumbsResponse' })
export class TaskBreadcrumbsResponse {
  @ApiProperty({ type: [TaskBreadcrumb] }) breadcrumbs: TaskBreadcrumb[];
}
