import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { Type } from '@nestjs/common';
import type { ModuleVersionChanges } from './common/api-version/version-changes';
import type { ModuleSettingsDefinition } from './config/env-schema';

/**
 * Everything a feature registers, in one place: its Nest module (`AppModule` mounts it), its
 * entities (the ORM options collect them, for the app, the migration CLI and the tests alike), its
 * settings (validated with the core ones at boot, handed to `config/` by `src/settings.ts`), its
 * migrations (run in name order with every other feature's), its response changes across API
 * versions, and the features it uses. `src/features.ts` lists the manifests; nothing else in `src/`
 * names a feature. Problem codes (`defineProblemCodes`) and auth rules (`@TaskInstanceFrom`,
 * `@AcceptTokenScopes`) are declared where they are used and need no registration. Its own file,
 * so that `*.feature.ts` and `features.ts` do not import each other. See docs/extending.md.
 */
export interface FeatureManifest {
  /** The feature's folder under `src/` (the import-direction lint rule reads it). */
  name: string;
  /**
   * The features whose folders this one imports from (their top-level files only: a feature's
   * subfolders are private). `eslint.config.mjs` reads this list and refuses any other import of
   * another feature's folder.
   */
  dependsOn?: readonly string[];
  /** The feature's Nest module; absent for a feature whose routes another feature's module serves. */
  module?: Type<unknown>;
  entities: readonly EntityClass<unknown>[];
  settings?: readonly ModuleSettingsDefinition[];
  /** `{ name, class }` with `name` the class's name, `MigrationYYYYMMDDhhmmss_what`. */
  migrations?: readonly MigrationObject[];
  /** Responses whose shape changed across Execution API versions (`defineVersionChanges`, docs/api-versions.md). */
  versionChanges?: readonly ModuleVersionChanges[];
}
