import type { FeatureManifest } from '../feature-manifest';
import { Dag } from './dag.entity';
import { Migration20261206140000_dag_runs } from '../migrations/Migration20261206140000_dag_runs';

/** The dag module's entities (see `src/features.ts`). The dag-run table stays with the task-instance module, which creates runs. */
export const DAGS_FEATURE: FeatureManifest = {
  name: 'dags',
  entities: [Dag],
  migrations: [{ name: 'Migration20261206140000_dag_runs', class: Migration20261206140000_dag_runs }],
};
