import type { FeatureManifest } from '../feature-manifest';
import { Connection } from './connection.entity';
import { ConnectionsModule } from './connections.module';

/** The connections feature (see `src/features.ts`); FERNET_KEY belongs to `src/secrets/`. */
export const CONNECTIONS_FEATURE: FeatureManifest = {
  name: 'connections',
  dependsOn: ['secrets'],
  module: ConnectionsModule,
  entities: [Connection],
};
