import { VersionBundle } from './common/api-version/version-bundle';
import type { ModuleVersionChanges } from './common/api-version/version-changes';
import { FEATURES } from './features';

/**
 * The Execution API versions this service answers, oldest first: Airflow's `VersionBundle`
 * (`airflow-core/src/airflow/api_fastapi/execution_api/versions/__init__.py`) up to the one Airflow
 * 3.3 / Task SDK 1.3 sends. Later dates (Airflow main's 2026-10-30, 2026-11-13) are answered in
 * the newest shape here, as an Airflow 3.3 server answers them. See docs/api-versions.md.
 */
export const EXECUTION_API_VERSIONS: readonly string[] = [
  '2025-04-11', // Airflow 3.0.0 / Task SDK 1.0.0
  '2025-04-28', // 3.0.x
  '2025-05-20', // 3.0.2+ (last of 3.0)
  '2025-08-10', // 3.1.0
  '2025-09-23', // 3.1.0
  '2025-10-27', // 3.1.x
  '2025-11-05', // 3.1.x (last of 3.1)
  '2026-04-06', // 3.2 / Task SDK 1.2
  '2026-06-30', // 3.3 / Task SDK 1.3
];

/** Every feature's declared version changes, from its manifest (`versionChanges`). */
export const VERSION_CHANGES: readonly ModuleVersionChanges[] = FEATURES.flatMap((feature) => feature.versionChanges ?? []);

export function buildVersionBundle(): VersionBundle {
  return new VersionBundle(EXECUTION_API_VERSIONS, VERSION_CHANGES);
}
