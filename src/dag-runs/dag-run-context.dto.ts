import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { parseExactJson } from '../common/json/exact-json';
import type { JsonObject } from '../common/json/json-value';
import { DAG_RUN_STATES, DAG_RUN_TYPES, type DagRunState, type DagRunType } from '../task-instances/task-instance-state';
import type { DagRun } from './dag-run.entity';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** The dag run as a worker sees it (Airflow's execution-API `DagRun`). */
@ApiSchema({ name: 'DagRun' })
export class DagRunContext {
  @ApiProperty({ example: 'example_dag' }) dag_id: string;
  @ApiProperty({ example: 'manual__2026-11-25' }) run_id: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) logical_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) data_interval_start: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) data_interval_end: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) run_after: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set when the run is created in state running.' }) start_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) end_date: string | null;
  @ApiProperty({ example: 0 }) clear_number: number;
  @ApiProperty({ enum: DAG_RUN_TYPES, enumName: 'DagRunType' }) run_type: DagRunType;
  @ApiProperty({ enum: DAG_RUN_STATES, enumName: 'DagRunState' }) state: DagRunState;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { target: 'prod' } }) conf: JsonObject;
  @ApiProperty({ type: String, nullable: true, description: "Who triggered the run; a run a task triggers inherits its own run's." }) triggering_user_name:
    string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [], description: 'Always empty: this service keeps no asset events.' })
  consumed_asset_events: never[];
  @ApiProperty({ type: String, nullable: true, description: 'The partition a triggered run was given, or null.' }) partition_key: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The note a triggered run was given, or null.' }) note: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Always null: this service keeps no teams.' }) team_name: null;

  static from(run: DagRun): DagRunContext {
    return {
      dag_id: run.dagId,
      run_id: run.runId,
      logical_date: iso(run.logicalDate),
      data_interval_start: iso(run.dataIntervalStart),
      data_interval_end: iso(run.dataIntervalEnd),
      run_after: run.runAfter.toISOString(),
      start_date: iso(run.startDate),
      end_date: iso(run.endDate),
      clear_number: run.clearNumber,
      run_type: run.runType,
      state: run.state,
      conf: parseExactJson(run.conf) as JsonObject,
      triggering_user_name: run.triggeringUserName ?? null,
      consumed_asset_events: [],
      partition_key: run.partitionKey ?? null,
      note: run.note ?? null,
      team_name: null,
    };
  }
}
