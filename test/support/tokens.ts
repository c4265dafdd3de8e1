import { SignJWT, type JWTHeaderParameters, type JWTPayload, type CryptoKey } from 'jose';
import { randomUUID, type KeyObject } from 'node:crypto';
import { routeArea } from '../../src/common/auth/route-area';
import { AIRFLOW_TASK_AUDIENCE } from '../../src/config/app-config';

/** The HS256 secret `startTestApp` configures (JWT_SECRET) unless a test overrides it. */
export const TEST_JWT_SECRET = 'test-secret-for-the-jest-suite-only-0123456789';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface SignOptions {
  claims?: JWTPayload;
  /** Default: HS256 without kid. */
  header?: Partial<JWTHeaderParameters>;
  key?: CryptoKey | KeyObject | Uint8Array;
}

/**
 * Signs a token the way a scheduler would: `sub`, `scope`, `aud` (Airflow's task audience, the
 * service's default JWT_AUDIENCE), `iat`, `nbf`, `exp` (10 min), `jti`, overridable through
 * `claims` (set a claim to `undefined` to leave it out).
 */
export async function signToken(sub: string | undefined, scope: string | undefined, options: SignOptions = {}): Promise<string> {
  const now = nowSeconds();
  const claims: JWTPayload = { sub, scope, aud: AIRFLOW_TASK_AUDIENCE, iat: now, nbf: now, exp: now + 600, jti: randomUUID(), ...options.claims };
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...options.header } as JWTHeaderParameters)
    .sign(options.key ?? new TextEncoder().encode(TEST_JWT_SECRET));
}

export const executionToken = (taskInstanceId: string, options?: SignOptions) => signToken(taskInstanceId, 'execution', options);
export const workloadToken = (taskInstanceId: string, options?: SignOptions) => signToken(taskInstanceId, 'workload', options);
export const adminToken = (options?: SignOptions) => signToken('test-admin', 'admin', options);
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

/**
 * The token `http()` attaches when the caller passes no `authorization` header: an execution
 * token for `/execution/task-instances/{id}/…` and `/execution/hitlDetails/{id}` (sub = the decoded path id, whatever its shape, so
 * validation tests still reach the route's pipes), an admin token for `/api/…`, none elsewhere.
 */
export async function defaultTokenFor(path: string): Promise<string | undefined> {
  const pathname = path.split('?')[0];
  const execution = /^\/execution\/(?:task-instances|hitlDetails)\/([^/]*)/i.exec(pathname);
  if (execution) {
    let id = execution[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      // Left encoded: the request is about a malformed path, not about its token.
    }
    return executionToken(id);
  }
  if (routeArea(pathname) === 'admin') return adminToken();
  return undefined;
}
