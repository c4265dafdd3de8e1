import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { JsonBody } from '../../../common/problem/validation';
import { LIFECYCLE_BODY_MAX_DEPTH } from '../lifecycle.limits';

/** `PUT /heartbeat` body (Airflow's `TIHeartbeatInfo`). */
@ApiSchema({ name: 'TIHeartbeatInfo' })
@JsonBody({ json: 'object', maxDepth: LIFECYCLE_BODY_MAX_DEPTH })
export class TIHeartbeatInfo {
  @ApiProperty({ example: 'worker-1.example.com', maxLength: 1000 })
  @IsString()
  @MaxLength(1000)
  hostname: string;

  @ApiProperty({ example: 4242, minimum: 0, maximum: 2_147_483_647 })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  pid: number;
}
