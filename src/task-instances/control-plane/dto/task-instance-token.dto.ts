import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { IssuedToken } from '../../../common/auth/token-issuer';

export const ISSUABLE_SCOPES = ['workload', 'execution'] as const;

export class IssueTokenDto {
  @ApiPropertyOptional({
    enum: ISSUABLE_SCOPES,
    description:
      '`workload` (default): the long-lived token a scheduler hands to a queue; the worker exchanges it at `PATCH …/run` for an execution token. `execution`: a short-lived token for the execution routes directly.',
  })
  @IsOptional()
  @IsIn(ISSUABLE_SCOPES)
  scope?: (typeof ISSUABLE_SCOPES)[number];
}

/** An OAuth-style token response (RFC 6749 §5.1 names). */
export class TaskInstanceTokenDto {
  @ApiProperty({ description: 'The JWT: send it as `Authorization: Bearer <access_token>`.' })
  access_token: string;

  @ApiProperty({ example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ enum: ISSUABLE_SCOPES, example: 'workload' })
  scope: string;

  @ApiProperty({ example: 86400, description: 'Lifetime in seconds.' })
  expires_in: number;

  @ApiProperty({ type: String, format: 'date-time' })
  expires_at: string;

  @ApiProperty({ format: 'uuid', description: 'The task instance the token is for (its `sub`).' })
  task_instance_id: string;

  static from(taskInstanceId: string, issued: IssuedToken): TaskInstanceTokenDto {
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      scope: issued.scope,
      expires_in: issued.expiresIn,
      expires_at: new Date(issued.expiresAt * 1000).toISOString(),
      task_instance_id: taskInstanceId,
    };
  }
}
