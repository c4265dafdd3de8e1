import type { EntityClass } from '@mikro-orm/core';
import { ASSETS_FEATURE } from './assets/assets.feature';
import type { ModuleSettingsDefinition } from './config/env-schema';
import { TASK_INSTANCES_FEATURE } from './task-instances/task-instances.feature';
import { XCOM_FEATURE } from './xcom/xcom.feature';
import { HITL_FEATURE } from './hitl/hitl.feature';
import { SECRETS_FEATURE } from './secrets/secrets.feature';
import { VARIABLES_FEATURE } from './variables/variables.feature';
import { CONNECTIONS_FEATURE } from './connections/connections.feature';
import { DAGS_FEATURE } from './dags/dags.feature';

/**
 * What a feature module brings besides its Nest module: its entities (the ORM options collect
 * them, for the app, the migration CLI and the tests alike) and its settings (validated with the
 * core ones at boot). Read before Nest starts, so a manifest imports entities and settings only,
 * never providers. See docs/extending.md.
 */
export interface FeatureManifest {
  name: string;
  entities: readonly EntityClass<unknown>[];
  settings?: readonly ModuleSettingsDefinition[];
}

/** Every feature module's manifest. Its Nest module is listed in `app.module.ts`. */
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
