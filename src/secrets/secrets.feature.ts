import type { FeatureManifest } from '../feature-manifest';
import { SecretsModule } from './secrets.module';
import { SECRETS_SETTINGS } from './secrets.settings';

/** Encryption at rest shared by variables and connections: settings only (see `src/features.ts`). */
export const SECRETS_FEATURE: FeatureManifest = {
  name: 'secrets',
  module: SecretsModule,
  entities: [],
  settings: [SECRETS_SETTINGS],
};
