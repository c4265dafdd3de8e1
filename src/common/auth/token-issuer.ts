import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { KeyStore } from './key-store';
import type { TokenScope, VerifiedToken } from './token-claims';

/** The claims this service sets itself; everything else is carried over on re-signing. */
const REGISTERED = new Set(['exp', 'iat', 'nbf', 'jti', 'aud', 'iss', 'sub', 'scope']);

export interface IssuedToken {
  token: string;
  scope: TokenScope;
  /** Seconds since the epoch. */
  expiresAt: number;
  expiresIn: number;
}

/**
 * Signs tokens with the configured signing key: workload tokens for schedulers (control plane),
 * execution tokens (the `/run` exchange and refreshes), and admin tokens (the development banner
 * and `npm run token`). Every token carries `sub`, `scope`, `iat`, `nbf`, `exp`, a fresh `jti`,
 * `aud` (the first configured audience) and `iss` when configured.
 */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(sub: string, scope: TokenScope, ttlSeconds: number, extraClaims: JWTPayload = {}): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const { alg, kid, key } = this.keys.signing;
    const jwt = new SignJWT({ ...extraClaims, scope })
      .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
      .setSubject(sub)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID());
    // The first configured value, as Airflow's generator writes the first of `jwt_audience`/`jwt_issuer`.
    if (this.config.auth.audience.length > 0) jwt.setAudience(this.config.auth.audience[0]);
    if (this.config.auth.issuer?.length) jwt.setIssuer(this.config.auth.issuer[0]);
    return { token: await jwt.sign(key), scope, expiresAt: now + ttlSeconds, expiresIn: ttlSeconds };
  }

  executionToken(taskInstanceId: string, extraClaims: JWTPayload = {}): Promise<IssuedToken> {
    return this.issue(taskInstanceId, 'execution', this.config.auth.executionTokenTtlSeconds, extraClaims);
  }

  workloadToken(taskInstanceId: string): Promise<IssuedToken> {
    return this.issue(taskInstanceId, 'workload', this.config.auth.workloadTokenTtlSeconds);
  }

  /** The same claims with a new lifetime: what `Refreshed-API-Token` carries. */
  refreshed(token: VerifiedToken): Promise<IssuedToken> {
    const extra = Object.fromEntries(Object.entries(token.claims).filter(([name]) => !REGISTERED.has(name)));
    return this.executionToken(token.sub, extra);
  }
}

/**
 * Whether an execution token is close enough to expiry to be re-signed: less than the larger of
 * 20 % of its lifetime and 30 s left (Airflow's `JWTReissueMiddleware` rule). Workload and admin
 * tokens are never refreshed.
 */
export function refreshDue(token: VerifiedToken, nowSeconds: number = Math.floor(Date.now() / 1000)): boolean {
  if (token.scope !== 'execution') return false;
  const lifetime = token.iat !== undefined ? token.exp - token.iat : 0;
  return token.exp - nowSeconds <= Math.max(Math.floor(0.2 * lifetime), 30);
}
