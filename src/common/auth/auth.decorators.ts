import { SetMetadata } from '@nestjs/common';
import { TOKEN_SCOPES, type TokenScope } from './token-claims';

export const ACCEPT_TOKEN_SCOPES = 'task-execution-api:auth:accept-token-scopes';
export const PUBLIC_ROUTE = 'task-execution-api:auth:public-route';

/**
 * Widens which task-instance token scopes an execution route accepts (default: `execution` only).
 * `@AcceptTokenScopes('execution', 'workload')` marks the exchange point (`PATCH …/run`): a
 * successful response to a workload token then carries a fresh execution token in
 * `Refreshed-API-Token`. Options are checked when the decorator is applied, so a typo fails at
 * start-up.
 */
export function AcceptTokenScopes(...scopes: TokenScope[]): MethodDecorator & ClassDecorator {
  if (scopes.length === 0) throw new Error('@AcceptTokenScopes() needs at least one scope');
  for (const scope of scopes) {
    if (scope === 'admin' || !TOKEN_SCOPES.includes(scope)) {
      throw new Error(`@AcceptTokenScopes(): ${String(scope)} is not a task-instance token scope (execution, workload)`);
    }
  }
  return SetMetadata(ACCEPT_TOKEN_SCOPES, [...new Set(scopes)]);
}

/**
 * Exempts a route under `/execution/` or `/api/` from authentication (e.g. a health probe that
 * must sit under a protected prefix). Routes outside those prefixes are public without it.
 */
export function PublicRoute(): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, true);
}
