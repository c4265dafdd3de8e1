import { DomainError } from '../problem/domain-error';
import type { TokenScope } from './token-claims';

/** Which verification step rejected a token; the `check` member of an `invalid_token` problem. */
export type TokenCheck =
  /** Not three base64url parts, undecodable header or payload, or longer than the limit. */
  | 'malformed'
  /** `alg` is `none`, not configured, or does not match the key it names (HS/RS confusion). */
  | 'algorithm'
  /** `kid` names no configured key, or the token has no `kid` and no key without one exists. */
  | 'kid'
  | 'signature'
  | 'expired'
  | 'not_before'
  | 'audience'
  | 'issuer'
  /** A required claim (`sub`, `exp`) is missing, or a claim has the wrong type or value. */
  | 'claims';

/** RFC 6750 §3: the realm every challenge names. */
export const BEARER_REALM = 'task-execution-api';

/** No `Authorization: Bearer …` header. RFC 6750 §3.1: the challenge then carries no error code. */
export class MissingTokenError extends DomainError {
  constructor() {
    super('unauthenticated', 'This route requires a bearer token (Authorization: Bearer <JWT>).', 'missing_token');
  }

  override readonly airflow = { detail: 'Missing auth token' };
}

/** A token that failed verification. The detail names the check, never the token or its claims. */
export class InvalidTokenError extends DomainError {
  constructor(
    readonly check: TokenCheck,
    detail: string,
  ) {
    super('unauthenticated', detail, 'invalid_token', { check });
    this.airflow = { detail: `Invalid auth token: ${detail}` };
  }

  override readonly airflow: { detail: string };
}

/** A valid task-instance token used on another task instance's route. */
export class WrongTaskInstanceError extends DomainError {
  constructor(taskInstanceId: string | undefined) {
    super(
      'forbidden',
      taskInstanceId === undefined
        ? 'This route names no task instance, so it accepts no task-instance token.'
        : 'The token was issued for another task instance.',
      'wrong_task_instance',
    );
  }

  override readonly airflow = { detail: 'Token subject does not match task instance ID' };
}

/** A valid token whose scope this route does not accept (e.g. a workload token on RTIF). */
export class WrongScopeError extends DomainError {
  constructor(
    readonly scope: TokenScope,
    readonly accepted: readonly TokenScope[],
  ) {
    super('forbidden', `A ${scope} token is not accepted here; this route accepts: ${accepted.join(', ')}.`, 'wrong_scope', {
      token_scope: scope,
      accepted_scopes: accepted.join(' '),
    });
    this.airflow = { detail: `Token type '${scope}' not allowed for this endpoint. Allowed types: ${accepted.join(', ')}` };
  }

  override readonly airflow: { detail: string };
}

/** A valid token without the admin scope on a control-plane route. */
export class AdminScopeRequiredError extends DomainError {
  constructor(readonly scope: TokenScope) {
    super('forbidden', `Control-plane routes require a token with the admin scope; this one has scope ${scope}.`, 'admin_scope_required', {
      token_scope: scope,
    });
  }
}

/** RFC 6750 §3 quoted-string content: no `"` or `\`, printable ASCII only. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ')}"`;
}

/**
 * The `WWW-Authenticate` header an auth error carries (RFC 6750 §3): a bare challenge for a
 * missing token, `error="invalid_token"` for a rejected one, `error="insufficient_scope"` with
 * the needed scope for a scope refusal. Other errors get none.
 */
export function bearerChallengeHeaders(error: DomainError): Record<string, string> | undefined {
  const realm = `Bearer realm=${quoted(BEARER_REALM)}`;
  if (error instanceof MissingTokenError) return { 'WWW-Authenticate': realm };
  if (error instanceof InvalidTokenError) {
    return { 'WWW-Authenticate': `${realm}, error="invalid_token", error_description=${quoted(error.detail)}` };
  }
  if (error instanceof WrongScopeError || error instanceof AdminScopeRequiredError) {
    const scope = error instanceof WrongScopeError ? error.accepted.join(' ') : 'admin';
    return { 'WWW-Authenticate': `${realm}, error="insufficient_scope", error_description=${quoted(error.detail)}, scope=${quoted(scope)}` };
  }
  return undefined;
}
