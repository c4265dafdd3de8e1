/**
 * Airflow's `AddDagRunStateFieldAndPreviousEndpoint` moved `GET /dag-runs/{dag_id}/previous` to
 * `GET /dag-runs/previous?dag_id=…` at API 2026-04-06 (`@router.only_exists_in_older_versions`):
 * a caller of that version or later asking for `/dag-runs/{dag_id}/previous` gets the run whose id
 * is `previous`. A route that exists only in some versions is not a schema change, so it is not in
 * the change tables (`src/api-versions.ts`); the one route that serves both asks this.
 */
export const PREVIOUS_BY_PATH_REMOVED_IN = '2026-04-06';

export function servesPreviousByPath(version: string | undefined): boolean {
  return version !== undefined && version < PREVIOUS_BY_PATH_REMOVED_IN;
}
