import type { FeatureManifest } from '../features';
import { Dag } from './dag.entity';

/** The dag module's entities (see `src/features.ts`). The dag-run table stays with the task-instance module, which creates runs. */
export const DAGS_FEATURE: FeatureManifest = {
  name: 'dags',
  entities: [Dag],
};
