import type { FeatureManifest } from '../feature-manifest';
import { Connection } from './connection.entity';

/** The connections module's entities (see `src/features.ts`); FERNET_KEY belongs to `src/secrets/`. */
export const CONNECTIONS_FEATURE: FeatureManifest = {
  name: 'connections',
  entities: [Connection],
};
