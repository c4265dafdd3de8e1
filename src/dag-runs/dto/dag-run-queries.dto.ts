import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LogicalDatesQuery, RunIdsQuery } from '../../common/http/run-filters';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsAwareDateTime } from '../../common/http/aware-date-time';
import { DAG_RUN_STATES, type DagRunState } from '../../task-instances/task-instance-state';
import { MAX_LIST, PRINTABLE, toList } from '../../common/http/query-values';

/** `GET /execution/dag-runs/count` (Airflow's `get_dr_count`). */
export class DagRunCountQuery {
  @ApiProperty({ maxLength: 250, example: 'example_dag' })
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'dag_id must not contain control characters' })
  dag_id: string;

  @LogicalDatesQuery('Runs with one of these logical dates (time zone required); repeat for each.')
  logical_dates?: string[];

  @RunIdsQuery()
  run_ids?: string[];

  @ApiPropertyOptional({ type: [String], enum: DAG_RUN_STATES, description: 'Only these states; repeat for each.' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(MAX_LIST)
  @IsIn(DAG_RUN_STATES, { each: true })
  states?: DagRunState[];
}

/** The query of the older `GET /execution/dag-runs/{dag_id}/previous` (before API 2026-04-06). */
export class PreviousDagRunByPathQuery {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-06T14:00:00Z', description: 'Runs strictly before this logical date.' })
  @IsAwareDateTime()
  logical_date: string;

  @ApiPropertyOptional({ enum: DAG_RUN_STATES, description: 'Only a run in this state.' })
  @IsOptional()
  @IsIn(DAG_RUN_STATES)
  state?: DagRunState;
}

/** `GET /execution/dag-runs/previous` (Airflow's `get_previous_dagrun`, API 2026-04-06). */
export class PreviousDagRunQuery extends PreviousDagRunByPathQuery {
  @ApiProperty({ maxLength: 250, example: 'example_dag' })
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'dag_id must not contain control characters' })
  dag_id: string;
}
