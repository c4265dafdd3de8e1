import { ASSETS_FEATURE } from './assets/assets.feature';
import type { FeatureManifest } from './feature-manifest';
import { TASK_INSTANCES_FEATURE } from './task-instances/task-instances.feature';
import { XCOM_FEATURE } from './xcom/xcom.feature';
import { HITL_FEATURE } from './hitl/hitl.feature';
import { SECRETS_FEATURE } from './secrets/secrets.feature';
import { VARIABLES_FEATURE } from './variables/variables.feature';
import { CONNECTIONS_FEATURE } from './connections/connections.feature';
import { DAGS_FEATURE } from './dags/dags.feature';

export type { FeatureManifest } from './feature-manifest';

/**
 * Every feature module's manifest: its entities, settings and migrations are registered here and
 * nowhere else. Its Nest module is listed in `app.module.ts` (a manifest is read before Nest starts).
 */
export const FEATURES: readonly FeatureManifest[] = [
  TASK_INSTANCES_FEATURE,
  XCOM_FEATURE,
  ASSETS_FEATURE,
  SECRETS_FEATURE,
  VARIABLES_FEATURE,
  CONNECTIONS_FEATURE,
  HITL_FEATURE,
  DAGS_FEATURE,
];
