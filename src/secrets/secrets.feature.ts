import type { FeatureManifest } from '../feature-manifest';
import { SECRETS_SETTINGS } from './secrets.settings';

/** Encryption at rest shared by variables and connections: settings only (see `src/features.ts`). */
export const SECRETS_FEATURE: FeatureManifest = {
  name: 'secrets',
  entities: [],
  settings: [SECRETS_SETTINGS],
};
