import type { Request } from 'express';

/** Label of requests that matched no route (404s, and requests refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route template a request matched (`/execution/task-instances/:task_instance_id/rtif`),
 * never the raw path: a metric label or log field keyed by raw paths would grow by one series per
 * task instance. Requests answered before routing (413, 415, malformed JSON) and unknown paths
 * share one label.
 */
export function routeLabelOf(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route !== undefined && typeof route.path === 'string') return `${req.baseUrl ?? ''}${route.path}`;
  return UNMATCHED_ROUTE;
}
