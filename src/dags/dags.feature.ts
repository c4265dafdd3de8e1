import type { FeatureManifest } from '../feature-manifest';
import { Dag } from './dag.entity';
import { Migration20261206140000_dag_runs } from '../migrations/Migration20261206140000_dag_runs';

/** The dag feature (see `src/features.ts`): its routes are served by the dag-run feature's module, so it brings none. */
export const DAGS_FEATURE: FeatureManifest = {
  name: 'dags',
  dependsOn: ['dag-runs', 'task-instances'],
  entities: [Dag],
  migrations: [{ name: 'Migration20261206140000_dag_runs', class: Migration20261206140000_dag_runs }],
};
