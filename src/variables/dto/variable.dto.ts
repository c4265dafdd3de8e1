import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { NO_NUL } from '../../common/http/query-values';

/** A well-formed integer query value becomes its number; anything else stays as it came, for a 422 naming it. */
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value);

/** Airflow's `VariableResponse`. */
@ApiSchema({ name: 'VariableResponse' })
export class VariableResponse {
  @ApiProperty({ example: 'my_key' })
  key: string;

  @ApiProperty({ type: String, nullable: true, example: 'my_value', description: 'The value as set (a string; JSON is the task’s to parse).' })
  value: string | null;
}

/**
 * Airflow's `VariablePostBody`: the SDK sends the value as `val` (the alias); `value` is accepted
 * too. Unknown fields are refused (422), as Airflow's `extra="forbid"`.
 */
@ApiSchema({ name: 'VariablePostBody' })
export class VariablePostBody {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'my_value',
    description: 'The value (what the Task SDK sends). Required unless `value` is given.',
  })
  // Required unless `value` is sent (null is a value): validated when absent, so a body with
  // neither is refused as "val is required".
  @ValidateIf((o: VariablePostBody) => o.val !== null && !(o.val === undefined && o.value !== undefined))
  @IsString()
  @Matches(NO_NUL, { message: 'val must not contain U+0000' })
  val?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'The value under its field name; `val` wins when both are sent.' })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'value must not contain U+0000' })
  value?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Set by a task', description: 'Omitted or null: an existing description is kept.' })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'description must not contain U+0000' })
  description?: string | null;
}

export class VariableMessageResponse {
  @ApiProperty({ example: 'Variable successfully set' })
  message: string;
}

/** `GET /execution/variables/keys`: Airflow's bounds (limit 1 to 10000, default 1000; offset ≥ 0). */
export class VariableKeysQuery {
  @ApiPropertyOptional({
    type: String,
    example: 'my_',
    description: 'Keys that start with this text, literally (`_` and `%` are not wildcards). Default: every key.',
  })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'prefix must not contain U+0000' })
  prefix?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10000, example: 1000, description: 'Default 1000.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10000)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 0, description: 'Default 0.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;
}

/** Airflow's `VariableKeysResponse`. */
@ApiSchema({ name: 'VariableKeysResponse' })
export class VariableKeysResponse {
  @ApiProperty({ type: [String], example: ['my_key', 'my_key/nested'] })
  keys: string[];

  @ApiProperty({ type: 'integer', example: 2, description: 'How many keys match the prefix in all (not only this page).' })
  total_entries: number;
}

/** `PUT /api/v1/variables/{key}`: what an operator seeds. */
@ApiSchema({ name: 'PutVariableBody' })
export class PutVariableBody {
  @ApiProperty({ type: String, nullable: true, example: 's3://warehouse/landing' })
  // Required, null allowed: validated unless null, so an absent value is "value is required".
  @ValidateIf((o: PutVariableBody) => o.value !== null)
  @IsString()
  @Matches(NO_NUL, { message: 'value must not contain U+0000' })
  value: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Where extract writes', description: 'Omitted or null: an existing description is kept.' })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'description must not contain U+0000' })
  description?: string | null;
}

/** A variable as the control plane shows it: the value is `***` when the key's name is sensitive. */
@ApiSchema({ name: 'Variable' })
export class VariableDto {
  @ApiProperty({ example: 'landing_path' })
  key: string;

  @ApiProperty({ type: String, nullable: true, example: 's3://warehouse/landing', description: '`***` when the key names a secret (password, token, …).' })
  value: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Where extract writes' })
  description: string | null;

  @ApiProperty({ example: true, description: 'Stored as a Fernet token (FERNET_KEY was set when it was written).' })
  is_encrypted: boolean;
}
