import type { FeatureManifest } from '../features';
import { HitlDetail } from './hitl-detail.entity';

/** The HITL module's entities (see `src/features.ts`); it has no settings. */
export const HITL_FEATURE: FeatureManifest = {
  name: 'hitl',
  entities: [HitlDetail],
};
