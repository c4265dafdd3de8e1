/**
 * Which authentication rule covers a route, by its path prefix: the one place that knows the
 * prefixes. `execution`: a task-instance token (see `@TaskInstanceFrom`); `admin`: an admin token;
 * `public`: none.
 */
export type RouteArea = 'execution' | 'admin' | 'public';

/**
 * The area of a route template or request path. Case-insensitive and blind to repeated slashes:
 * Express matches routes case-insensitively, so `/EXECUTION//…` reaches an `/execution/…` handler
 * and must be held to the same rule.
 */
export function routeArea(pathOrTemplate: string): RouteArea {
  // Every request's path comes here (the no-store header): the canonical spellings, which the
  // normalising below maps to themselves, are answered without building a new string.
  if (pathOrTemplate.startsWith('/execution/')) return 'execution';
  if (pathOrTemplate.startsWith('/api/')) return 'admin';
  const path = `/${pathOrTemplate}`.replace(/\/+/g, '/').toLowerCase();
  if (path === '/execution' || path.startsWith('/execution/')) return 'execution';
  if (path === '/api' || path.startsWith('/api/')) return 'admin';
  return 'public';
}
