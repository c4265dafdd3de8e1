import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { DagRun } from '../../../dag-runs/dag-run.entity';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** `GET /previous-successful-dagrun` response (Airflow's `PrevSuccessfulDagRunResponse`). */
@ApiSchema({ name: 'PrevSuccessfulDagRunResponse' })
export class PrevSuccessfulDagRunResponse {
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) data_interval_start: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) data_interval_end: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) start_date: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) end_date: string | null;

  static from(run: DagRun | null): PrevSuccessfulDagRunResponse {
    return {
      data_interval_start: iso(run?.dataIntervalStart),
      data_interval_end: iso(run?.dataIntervalEnd),
      start_date: iso(run?.startDate),
      end_date: iso(run?.endDate),
    };
  }
}
