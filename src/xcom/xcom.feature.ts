import type { FeatureManifest } from '../feature-manifest';
import { TaskMap } from './task-map.entity';
import { XCom } from './xcom.entity';
import { XComModule } from './xcom.module';
import { XCOM_SETTINGS } from './xcom.settings';
import { Migration20261128110000_xcom } from '../migrations/Migration20261128110000_xcom';

/** The XCom feature (see `src/features.ts`); joins `PATCH …/run` through `@TaskStartHook()`. */
export const XCOM_FEATURE: FeatureManifest = {
  name: 'xcom',
  dependsOn: ['task-instances'],
  module: XComModule,
  entities: [XCom, TaskMap],
  migrations: [{ name: 'Migration20261128110000_xcom', class: Migration20261128110000_xcom }],
  settings: [XCOM_SETTINGS],
};
