import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { DAG_RUN_STATES, type DagRunState } from '../../task-instances/task-instance-state';

/** `GET /execution/dag-runs/{dag_id}/{run_id}/state` (Airflow's `DagRunStateResponse`). */
@ApiSchema({ name: 'DagRunStateResponse' })
export class DagRunStateResponse {
  @ApiProperty({ enum: DAG_RUN_STATES, enumName: 'DagRunState', example: 'success' }) state: DagRunState;
}
