import type { FeatureManifest } from '../feature-manifest';
import { HitlDetail } from './hitl-detail.entity';
import { Migration20261206150000_hitl } from '../migrations/Migration20261206150000_hitl';

/** The HITL module's entities (see `src/features.ts`); it has no settings. */
export const HITL_FEATURE: FeatureManifest = {
  name: 'hitl',
  entities: [HitlDetail],
  migrations: [{ name: 'Migration20261206150000_hitl', class: Migration20261206150000_hitl }],
};
