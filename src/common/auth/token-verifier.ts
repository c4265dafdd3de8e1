import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InvalidTokenError, type TokenCheck } from './auth.errors';
import { KeyStore } from './key-store';
import { TOKEN_SCOPES, type TokenScope, type VerifiedToken } from './token-claims';

/** Longer tokens are refused unparsed; ours are well under 1 KiB. */
export const MAX_TOKEN_LENGTH = 8192;

const DETAIL: Record<TokenCheck, string> = {
  malformed: 'The bearer token is not a well-formed signed JWT.',
  algorithm: 'The token is signed with an algorithm this service does not accept for its key.',
  kid: 'The key id (kid) of the token, or its absence, selects no configured key.',
  signature: 'The token signature is not valid.',
  expired: 'The token has expired.',
  not_before: 'The token is not valid yet (nbf is in the future).',
  audience: 'The token audience (aud) is not this service.',
  issuer: 'The token issuer (iss) is not the configured one.',
  claims: 'The token lacks a required claim (sub, exp) or has a claim of the wrong type.',
};

function fail(check: TokenCheck): never {
  throw new InvalidTokenError(check, DETAIL[check]);
}

/** Maps jose's errors onto the check that failed; anything unknown counts as malformed (fail closed). */
function checkOf(error: unknown): TokenCheck {
  const e = error as { code?: string; claim?: string };
  switch (e?.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return 'not_before';
      if (e.claim === 'aud') return 'audience';
      if (e.claim === 'iss') return 'issuer';
      return 'claims';
    default:
      return 'malformed';
  }
}

/** A cached token is verified again at least this often, whatever its `exp` says. */
const MAX_CACHE_TTL_MS = 3_600_000;

/** Seconds since the epoch, as jose counts them for `exp` and `nbf`. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Verifies bearer tokens: shape, `alg` (only configured ones, and only the one bound to the
 * selected key: no `none`, no HS/RS confusion), `kid`, signature (jose), `exp`/`nbf` with the
 * configured leeway, `aud` (one of JWT_AUDIENCE, Airflow's task audience by default) and `iss` when configured, then the claims this service relies on.
 *
 * A running task sends the same token with every call (heartbeats, RTIF, state), and checking its
 * signature was a tenth of the RTIF write's CPU (the bench's profile). Tokens that passed are kept
 * in a bounded LRU cache keyed by the whole token text (`JWT_VERIFY_CACHE_SIZE` entries, 0 turns it
 * off), each until its own `exp` plus the leeway: a hit is exactly the token already verified,
 * re-checked for expiry on every use with jose's rule, so a cached token stops working at the same
 * second an uncached one would. The keys never change while the process runs, so nothing else can
 * make a cached result stale. Failures are not cached. The result is frozen: it is shared by every
 * request that presents the token.
 */
@Injectable()
export class TokenVerifier {
  private readonly verified: LRUCache<string, VerifiedToken> | undefined;
  /** Tokens accepted since start, by how (read by the metrics: `auth_token_verifications_total`). */
  readonly accepted = { cache_hit: 0, verified: 0 };

  /** Tokens held by the cache now. */
  get cachedTokens(): number {
    return this.verified?.size ?? 0;
  }

  constructor(
    private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const max = config.auth.verifyCacheSize;
    this.verified = max > 0 ? new LRUCache<string, VerifiedToken>({ max }) : undefined;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.verified?.get(token);
    if (cached !== undefined) {
      if (cached.exp > nowSeconds() - this.config.auth.leewaySeconds) {
        this.accepted.cache_hit++;
        return cached;
      }
      this.verified!.delete(token);
    }
    const result = await this.verifyUncached(token);
    this.accepted.verified++;
    if (this.verified) {
      const untilExpiry = Math.ceil((result.exp + this.config.auth.leewaySeconds - nowSeconds()) * 1000);
      this.verified.set(token, result, { ttl: Math.min(Math.max(1, untilExpiry), MAX_CACHE_TTL_MS) });
    }
    return result;
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) fail('malformed');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      fail('malformed');
    }
    if (typeof header.alg !== 'string' || !(this.keys.algorithms as readonly string[]).includes(header.alg)) fail('algorithm');
    if (header.kid !== undefined && typeof header.kid !== 'string') fail('malformed');
    const key = this.keys.select(header.kid, header.alg);
    if (typeof key === 'string') fail(key);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        audience: this.config.auth.audience,
        issuer: this.config.auth.issuer,
        clockTolerance: this.config.auth.leewaySeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      fail(checkOf(error));
    }

    const scope = payload.scope ?? 'execution';
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) fail('claims');
    if (typeof scope !== 'string' || !(TOKEN_SCOPES as readonly string[]).includes(scope)) fail('claims');
    return Object.freeze({ sub: payload.sub, scope: scope as TokenScope, exp: payload.exp!, iat: payload.iat, claims: Object.freeze(payload) });
  }
}
