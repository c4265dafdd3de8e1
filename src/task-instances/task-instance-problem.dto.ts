import { ApiPropertyOptional } from '@nestjs/swagger';
import { ProblemDto } from '../common/problem/problem.dto';

/** The task-instance routes' problem body: the common members plus the task-instance ones. */
export class TaskInstanceProblemDto extends ProblemDto {
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
