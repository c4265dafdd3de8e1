import { ApiProperty } from '@nestjs/swagger';
import { TASK_INSTANCE_STATES, type TaskInstanceState } from '../../task-instance-state';
import type { TaskInstance } from '../../task-instance.entity';

export class TaskInstanceDto {
  @ApiProperty({ format: 'uuid', example: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a' })
  id: string;
  @ApiProperty() dag_id: string;
  @ApiProperty() run_id: string;
  @ApiProperty() task_id: string;
  @ApiProperty({ example: -1 }) map_index: number;
  @ApiProperty({ example: 1 }) try_number: number;
  @ApiProperty({ example: 0 }) max_tries: number;
  @ApiProperty({ enum: TASK_INSTANCE_STATES, enumName: 'TaskInstanceState' }) state: TaskInstanceState;
  @ApiProperty({ type: String, nullable: true }) hostname: string | null;
  @ApiProperty({ type: String, nullable: true }) unixname: string | null;
  @ApiProperty({ type: Number, nullable: true }) pid: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) start_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) end_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_heartbeat_at: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at: string;

  static from(ti: TaskInstance): TaskInstanceDto {
    const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
    return {
      id: ti.id,
      dag_id: ti.dagId,
      run_id: ti.runId,
      task_id: ti.taskId,
      map_index: ti.mapIndex,
      try_number: ti.tryNumber,
      max_tries: ti.maxTries,
      state: ti.state,
      hostname: ti.hostname ?? null,
      unixname: ti.unixname ?? null,
      pid: ti.pid ?? null,
      start_date: iso(ti.startDate),
      end_date: iso(ti.endDate),
      last_heartbeat_at: iso(ti.lastHeartbeatAt),
      updated_at: ti.updatedAt.toISOString(),
    };
  }
}
