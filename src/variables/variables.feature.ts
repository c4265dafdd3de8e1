import type { FeatureManifest } from '../feature-manifest';
import { Variable } from './variable.entity';
import { VariablesModule } from './variables.module';
import { Migration20261206120000_variables_connections } from '../migrations/Migration20261206120000_variables_connections';

/** The variables feature (see `src/features.ts`); FERNET_KEY belongs to `src/secrets/`. */
export const VARIABLES_FEATURE: FeatureManifest = {
  name: 'variables',
  dependsOn: ['secrets'],
  module: VariablesModule,
  entities: [Variable],
  migrations: [{ name: 'Migration20261206120000_variables_connections', class: Migration20261206120000_variables_connections }],
};
