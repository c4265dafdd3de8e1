import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { NO_NUL } from '../../common/http/query-values';

/** Airflow's `ConnectionResponse`: every field in clear, for the task that asked. */
@ApiSchema({ name: 'ConnectionResponse' })
export class ConnectionResponse {
  @ApiProperty({ example: 'my_postgres' })
  conn_id: string;

  @ApiProperty({ example: 'postgres' })
  conn_type: string;

  @ApiProperty({ type: String, nullable: true, example: 'db.internal' })
  host: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'analytics', description: 'Airflow’s `schema_`, sent by its alias.' })
  schema: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'etl' })
  login: string | null;

  @ApiProperty({ type: String, nullable: true, example: 's3cr3t' })
  password: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 5432 })
  port: number | null;

  @ApiProperty({ type: String, nullable: true, example: '{"sslmode": "require"}', description: 'A JSON object as a string, as Airflow sends it.' })
  extra: string | null;
}

/** `PUT /api/v1/connections/{conn_id}`: what an operator seeds (every field replaced). */
@ApiSchema({ name: 'PutConnectionBody' })
export class PutConnectionBody {
  @ApiProperty({ example: 'postgres', maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @Matches(NO_NUL, { message: 'conn_type must not contain U+0000' })
  conn_type: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'The warehouse' })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'description must not contain U+0000' })
  description?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, example: 'db.internal' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(NO_NUL, { message: 'host must not contain U+0000' })
  host?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, example: 'analytics' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(NO_NUL, { message: 'schema must not contain U+0000' })
  schema?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'etl' })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'login must not contain U+0000' })
  login?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 's3cr3t',
    description: 'Encrypted at rest when FERNET_KEY is set; never shown by the control plane.',
  })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'password must not contain U+0000' })
  password?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, maximum: 65535, example: 5432 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '{"sslmode": "require"}',
    description: 'A JSON object as a string (Airflow’s `extra`); encrypted at rest when FERNET_KEY is set.',
  })
  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'extra must not contain U+0000' })
  extra?: string | null;
}

/** A connection as the control plane shows it: the password never, `extra` with sensitive keys masked. */
@ApiSchema({ name: 'Connection' })
export class ConnectionDto {
  @ApiProperty({ example: 'warehouse' })
  conn_id: string;

  @ApiProperty({ example: 'postgres' })
  conn_type: string;

  @ApiProperty({ type: String, nullable: true, example: 'The warehouse' })
  description: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'db.internal' })
  host: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'analytics' })
  schema: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'etl' })
  login: string | null;

  @ApiProperty({ type: String, nullable: true, example: '***', description: '`***` when a password is set, else null: never in clear.' })
  password: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 5432 })
  port: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '{"sslmode":"require","api_key":"***"}',
    description: 'The values under sensitive key names masked; `***` whole when it is not a JSON object.',
  })
  extra: string | null;

  @ApiProperty({ example: true, description: 'Password stored as a Fernet token.' })
  is_encrypted: boolean;

  @ApiProperty({ example: true, description: 'Extra stored as a Fernet token.' })
  is_extra_encrypted: boolean;
}
