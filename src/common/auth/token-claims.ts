import type { JWTPayload } from 'jose';

/**
 * What a token may do, in its `scope` claim (absent means `execution`, as in Airflow's `TIClaims`):
 * - `execution`: short-lived; the execution routes of the task instance named by `sub`.
 * - `workload`: long-lived, handed to a queue by a scheduler; only routes that accept it
 *   (`PATCH …/run`), whose success response carries a fresh execution token.
 * - `admin`: the control plane (`/api/...`); `sub` names the person or system holding it.
 */
export const TOKEN_SCOPES = ['execution', 'workload', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Response header carrying a fresh execution token; clients swap their bearer token when it appears. */
export const REFRESHED_TOKEN_HEADER = 'Refreshed-API-Token';

/** A token that passed every check of `TokenVerifier`. */
export interface VerifiedToken {
  /** Task instance id for `execution`/`workload` tokens, the holder's name for `admin` ones. */
  sub: string;
  scope: TokenScope;
  /** Seconds since the epoch. */
  exp: number;
  iat: number | undefined;
  /** Every claim, for re-signing an execution token with the same claims. */
  claims: JWTPayload;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `AuthGuard` on routes that require a token. */
    token?: VerifiedToken;
  }
}
