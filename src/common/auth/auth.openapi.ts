import type { OpenAPIObject } from '@nestjs/swagger';
import { problemExampleObject, type ProblemExample } from '../openapi/api-problem-response';
import { PROBLEM_CONTENT_TYPE } from '../problem/problem';
import { routeArea } from './route-area';
import { REFRESHED_TOKEN_HEADER } from './token-claims';

const REFRESHED_TOKEN_DOC = {
  description:
    'A fresh execution token: present when the request used a workload token on a route that accepts one, or an execution token with less than max(20 % of its lifetime, 30 s) left (on any response). Use it from now on.',
  schema: { type: 'string' },
};

/** The security scheme name `DocumentBuilder.addBearerAuth()` and `@ApiBearerAuth()` default to. */
export const BEARER_SCHEME = 'bearer';

const problem = (status: number, description: string, examples: ProblemExample[]) => ({
  description,
  content: {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: '#/components/schemas/ProblemDto' },
      examples: Object.fromEntries(examples.map((e) => [e.reason, problemExampleObject(status, e)])),
    },
  },
});

const UNAUTHORIZED = problem(401, 'No valid bearer token (`WWW-Authenticate: Bearer error="invalid_token"` says why; `check` names the failed check).', [
  { reason: 'missing_token', detail: 'This route requires a bearer token (Authorization: Bearer <JWT>).', airflow: { detail: 'Missing auth token' } },
  { reason: 'invalid_token', detail: 'The token has expired.', check: 'expired', airflow: { detail: 'Invalid auth token: The token has expired.' } },
]);

/**
 * Marks every operation the `AuthGuard` protects (by the same prefix rule, so routes added by any
 * module are covered) with the bearer requirement and its 401/403 responses, unless the operation
 * declares its own `security` (`[]` for a public one). Swagger UI then sends the token pasted into
 * its Authorize dialog.
 */
export function applyAuthToDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const policy = routeArea(path);
    if (policy === 'public') continue;
    for (const operation of Object.values(item) as { security?: unknown[]; responses?: Record<string, unknown> }[]) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      if (Array.isArray(operation.security) && operation.security.length === 0) continue;
      operation.security ??= [{ [BEARER_SCHEME]: [] }];
      operation.responses ??= {};
      if (policy === 'execution') {
        for (const [status, response] of Object.entries(operation.responses) as [string, { headers?: Record<string, unknown> }][]) {
          if (status.startsWith('2')) response.headers = { ...response.headers, [REFRESHED_TOKEN_HEADER]: REFRESHED_TOKEN_DOC };
        }
      }
      operation.responses['401'] ??= UNAUTHORIZED;
      operation.responses['403'] ??=
        policy === 'admin'
          ? problem(403, 'The token lacks the admin scope.', [
              {
                reason: 'admin_scope_required',
                detail: 'Control-plane routes require a token with the admin scope; this one has scope execution.',
                token_scope: 'execution',
              },
            ])
          : problem(403, 'The token is for another task instance, or its scope is not accepted here.', [
              {
                reason: 'wrong_task_instance',
                detail: 'The token was issued for another task instance.',
                airflow: { detail: 'Token subject does not match task instance ID' },
              },
              {
                reason: 'wrong_scope',
                detail: 'A workload token is not accepted here; this route accepts: execution.',
                token_scope: 'workload',
                accepted_scopes: 'execution',
                airflow: { detail: "Token type 'workload' not allowed for this endpoint. Allowed types: execution" },
              },
            ]);
    }
  }
  return document;
}
