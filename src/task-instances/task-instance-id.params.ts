import { ApiProperty } from '@nestjs/swagger';
import { IsUuidParam } from '../common/http/query-rules';

/**
 * The path of every route that names a task instance by id (`…/:task_instance_id…`), validated by
 * the global pipe: `@Param() { task_instance_id: id }: TaskInstanceIdParams`.
 */
export class TaskInstanceIdParams {
  @ApiProperty({ type: String })
  @IsUuidParam()
  task_instance_id: string;
}
