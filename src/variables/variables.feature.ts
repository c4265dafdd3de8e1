import type { FeatureManifest } from '../features';
import { Variable } from './variable.entity';

/** The variables module's entities (see `src/features.ts`); FERNET_KEY belongs to `src/secrets/`. */
export const VARIABLES_FEATURE: FeatureManifest = {
  name: 'variables',
  entities: [Variable],
};
