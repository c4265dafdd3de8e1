/**
 * The header that asks an execution route for problem details instead of Airflow's
 * `{"detail": …}` (`src/common/problem/error-format.ts`): for tests about a problem's content.
 * Control-plane routes answer problem details without it.
 */
export const ACCEPT_PROBLEM = { accept: 'application/problem+json' } as const;

/**
 * The whole RFC 9457 body a typed error must have, for `toEqual`: the titles are written out here
 * (not taken from the service) so that a wrong title fails the test.
 */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function expectedProblem(status: number, reason: string, detail: string, instance: string, extensions: Record<string, unknown> = {}) {
  return {
    type: `urn:task-execution-api:problem:${encodeURIComponent(reason)}`,
    title: TITLES[status],
    status,
    detail,
    instance,
    reason,
    correlation_id: expect.any(String),
    ...extensions,
  };
}
