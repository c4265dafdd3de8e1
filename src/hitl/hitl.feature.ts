import type { FeatureManifest } from '../feature-manifest';
import { HitlDetail } from './hitl-detail.entity';
import { HitlModule } from './hitl.module';
import { HITL_VERSION_CHANGES } from './hitl.versions';
import { Migration20261206150000_hitl } from '../migrations/Migration20261206150000_hitl';

/** The HITL feature (see `src/features.ts`); it has no settings. */
export const HITL_FEATURE: FeatureManifest = {
  name: 'hitl',
  dependsOn: ['task-instances'],
  module: HitlModule,
  entities: [HitlDetail],
  migrations: [{ name: 'Migration20261206150000_hitl', class: Migration20261206150000_hitl }],
  versionChanges: [HITL_VERSION_CHANGES],
};
