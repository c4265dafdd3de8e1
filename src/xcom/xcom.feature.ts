import type { FeatureManifest } from '../features';
import { TaskMap } from './task-map.entity';
import { XCom } from './xcom.entity';
import { XCOM_SETTINGS } from './xcom.settings';

/** The XCom module's entities and settings (see `src/features.ts`). */
export const XCOM_FEATURE: FeatureManifest = {
  name: 'xcom',
  entities: [XCom, TaskMap],
  settings: [XCOM_SETTINGS],
};
