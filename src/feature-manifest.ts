import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { ModuleSettingsDefinition } from './config/env-schema';

/**
 * What a feature module brings besides its Nest module: its entities (the ORM options collect
 * them, for the app, the migration CLI and the tests alike), its settings (validated with the
 * core ones at boot) and its migrations (run in name order with every other feature's). Read
 * before Nest starts, so a manifest imports entities, settings and migrations only, never
 * providers. Its own file, so that `*.feature.ts` and `features.ts` do not import each other.
 * See docs/extending.md.
 */
export interface FeatureManifest {
  name: string;
  entities: readonly EntityClass<unknown>[];
  settings?: readonly ModuleSettingsDefinition[];
  /** `{ name, class }` with `name` the class's name, `MigrationYYYYMMDDhhmmss_what`. */
  migrations?: readonly MigrationObject[];
}
