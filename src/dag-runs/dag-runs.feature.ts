import type { FeatureManifest } from '../feature-manifest';
import { DagRun } from './dag-run.entity';
import { DagRunsModule } from './dag-runs.module';

/**
 * Dag runs: Airflow's dag-run routes and the dag routes of `src/dags/` (one Nest module serves
 * both). The `dag_run` table is created by the task-instance feature's first migration.
 */
export const DAG_RUNS_FEATURE: FeatureManifest = {
  name: 'dag-runs',
  dependsOn: ['task-instances', 'dags'],
  module: DagRunsModule,
  entities: [DagRun],
};
