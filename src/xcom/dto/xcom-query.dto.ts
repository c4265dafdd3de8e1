import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min, NotEquals } from 'class-validator';

/**
 * Query values arrive as strings. A well-formed one becomes its number or boolean; anything else
 * (a repeated parameter, `1.5`, `abc`, `1e3`) is left as it came, so the validator refuses it with
 * a 422 that names the parameter (and never echoes the value).
 */
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value);
/** FastAPI's spellings of a boolean query parameter. */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const INT32_MAX = 2_147_483_647;

export class MapIndexQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: -1, description: 'Map index of the task instance; -1 (the default) for an unmapped task.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-1)
  @Max(INT32_MAX)
  map_index?: number;
}

export class XComGetQuery extends MapIndexQuery {
  @ApiPropertyOptional({ type: Boolean, description: 'Also look in earlier runs of the dag (by logical date, else run_after), newest first. Default false.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  include_prior_dates?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'When given, `map_index` is ignored: the offset-th non-null value of the task by map index; negative counts from the end.',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;
}

export class XComSetQuery extends MapIndexQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Number of mapped task instances this value expands into downstream; also sets the task map (above XCOM_MAX_MAP_LENGTH: 400).',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  mapped_length?: number;

  @ApiPropertyOptional({
    type: Boolean,
    description:
      "Sent as `true` by the Task SDK when the value is the dag run's result (`dag_result=True`). Accepted and not stored: Airflow's execution API does not store it either.",
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  dag_result?: boolean;
}

export class XComSliceQuery {
  @ApiPropertyOptional({ type: 'integer', description: 'Python slice start (negative counts from the end).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  start?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Python slice stop (exclusive; negative counts from the end).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  stop?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Python slice step (negative walks backwards; 0 is refused, as Python refuses it).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @NotEquals(0, { message: 'slice step cannot be zero' })
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  step?: number;

  @ApiPropertyOptional({ type: Boolean, description: 'Also include earlier runs of the dag. Default false.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  include_prior_dates?: boolean;
}
