import { loadConfig, type AppConfig } from './config/app-config';
import type { ModuleSettingsDefinition } from './config/env-schema';
import { FEATURES } from './features';

/** Every feature's settings, from its manifest: what `config/` validates besides the core's. */
export const FEATURE_SETTINGS: readonly ModuleSettingsDefinition[] = FEATURES.flatMap((feature) => feature.settings ?? []);

/**
 * The service's configuration: the core settings and every feature's, from `env`. The composition
 * root hands the feature settings to `config/`, which imports no feature (docs/architecture.md,
 * import direction). Throws `ConfigError` naming every bad variable.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return loadConfig(env, FEATURE_SETTINGS);
}
