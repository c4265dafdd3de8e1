import { ASSETS_FEATURE } from './assets/assets.feature';
import { CONNECTIONS_FEATURE } from './connections/connections.feature';
import { DAG_RUNS_FEATURE } from './dag-runs/dag-runs.feature';
import { DAGS_FEATURE } from './dags/dags.feature';
import type { FeatureManifest } from './feature-manifest';
import { HITL_FEATURE } from './hitl/hitl.feature';
import { SECRETS_FEATURE } from './secrets/secrets.feature';
import { TASK_INSTANCES_FEATURE } from './task-instances/task-instances.feature';
import { VARIABLES_FEATURE } from './variables/variables.feature';
import { XCOM_FEATURE } from './xcom/xcom.feature';

export type { FeatureManifest } from './feature-manifest';

/**
 * Every feature's manifest: the one place a feature is registered. `AppModule` mounts each
 * manifest's Nest module, the ORM options collect the entities, `src/settings.ts` hands the
 * settings to `config/`, `src/migrations/index.ts` runs the migrations and `src/api-versions.ts`
 * reads the version changes. The order is the order Nest mounts the modules (and so the order of
 * the OpenAPI document's operations).
 */
export const FEATURES: readonly FeatureManifest[] = [
  TASK_INSTANCES_FEATURE,
  XCOM_FEATURE,
  ASSETS_FEATURE,
  HITL_FEATURE,
  SECRETS_FEATURE,
  VARIABLES_FEATURE,
  CONNECTIONS_FEATURE,
  DAG_RUNS_FEATURE,
  DAGS_FEATURE,
];
