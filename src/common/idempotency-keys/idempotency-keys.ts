import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response as ExpressResponse } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { correlationIdOf } from '../http/correlation-id';
import { DomainError } from '../problem/domain-error';
import { domainProblem } from '../problem/problem-details.filter';
import { UnitOfWorkStats } from '../unit-of-work/unit-of-work.stats';
import { keyScopeId, requestFingerprint } from './fingerprint';
import { idempotencyKeyOf } from './idempotency-key.header';
import type { IdempotencyKeyMode } from './idempotency-key.mode';
import { IdempotencyKeyStore, type KeyScope } from './idempotency-key.store';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, KEY_ERROR_CODES } from './idempotency-keys.errors';
import { REPLAYED_RESPONSE_HEADERS, respondWith, storedError, type StoredResponse } from './stored-response';

/** Runs a unit of work (the runner's `run`, bound to the route's policy). */
export type RunUnitOfWork = <T>(work: (tx: EntityManager) => Promise<T>) => Promise<T>;

interface Outcome {
  replayed: boolean;
  response: StoredResponse;
}

/**
 * `Idempotency-Key` on the routes marked `@IdempotencyKey()`. Per request with a key:
 *
 * 1. outside any transaction, the key is validated (400) and scoped to the caller and the route;
 * 2. in each attempt of the unit of work: the key is marked in flight with a non-waiting advisory
 *    lock (taken elsewhere: 409 `idempotency_key_in_use`), its stored outcome is read (same
 *    fingerprint: replayed; another: 422 `idempotency_key_reused`), else the handler runs and its
 *    response is stored in the same transaction as its writes;
 * 3. a 4xx verdict of the operation (a DomainError such as 409 `already_exists`) rolled the unit of
 *    work back, so there is nothing to be atomic with: it is stored in a short transaction of its
 *    own. 5xx outcomes and refusals before the operation (validation) are not stored.
 *
 * The first answer and every replay are sent from the stored record, so they are the same bytes
 * (a stored 4xx is the neutral error, rendered in the format each request negotiates).
 * Why this design, and its limits: docs/conflicts.md.
 */
@Injectable()
export class IdempotencyKeys {
  private readonly logger = new Logger('IdempotencyKeys');

  constructor(
    private readonly store: IdempotencyKeyStore,
    private readonly orm: MikroORM,
    private readonly stats: UnitOfWorkStats,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Runs the route: through `runUnit` as usual when the request carries
   * none; otherwise under its key, answering with a web `Response` built from the stored outcome.
   */
  async run(
    mode: IdempotencyKeyMode,
    route: string,
    req: Request,
    res: ExpressResponse,
    runUnit: RunUnitOfWork,
    handle: () => Promise<unknown>,
  ): Promise<unknown> {
    const scope = this.scopeOf(mode, route, req);
    if (scope === undefined) return runUnit(() => handle());
    try {
      const outcome = await runUnit((tx) => this.attempt(tx, scope, res, handle));
      if (outcome.replayed) this.stats.record({ type: 'idempotency', route, outcome: 'replayed' });
      return respondWith(outcome.response, outcome.replayed);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'idempotency_key_in_use') this.stats.record({ type: 'idempotency', route, outcome: 'key_in_use' });
      if (error instanceof DomainError && error.code === 'idempotency_key_reused') this.stats.record({ type: 'idempotency', route, outcome: 'key_reused' });
      const stored = error instanceof DomainError ? await this.storeVerdict(scope, error, req) : undefined;
      if (stored !== undefined) return respondWith(stored, false);
      throw error;
    }
  }

  /** The request's key scope; `undefined` without a key. Throws 400 problems for a bad or missing key. */
  private scopeOf(mode: IdempotencyKeyMode, route: string, req: Request): KeyScope | undefined {
    const key = idempotencyKeyOf(req.headers, mode);
    if (key === undefined) return undefined;
    // The verified token's scope and subject, never the token itself. Routes that opt in sit
    // behind the AuthGuard; a public one would share one scope among all its callers.
    const caller = req.token ? `${req.token.scope}:${req.token.sub}` : 'anonymous';
    const template = (req.route as { path?: string } | undefined)?.path ?? route;
    const fingerprint = requestFingerprint({
      method: req.method,
      route: template,
      params: req.params as Record<string, string>,
      query: req.query,
      body: req.body,
    });
    return { id: keyScopeId(caller, route, key), caller, route, key, fingerprint };
  }

  /** One attempt, inside the unit of work's transaction. */
  private async attempt(tx: EntityManager, scope: KeyScope, res: ExpressResponse, handle: () => Promise<unknown>): Promise<Outcome> {
    if (!(await this.store.tryMarkInFlight(tx, scope))) throw new IdempotencyKeyInUseError();
    const stored = await this.store.find(tx, scope);
    if (stored !== undefined) {
      if (stored.fingerprint !== scope.fingerprint) throw new IdempotencyKeyReusedError();
      return { replayed: true, response: { status: stored.status, headers: stored.headers, body: stored.body } };
    }
    const response = captured(await handle(), res);
    await this.store.save(tx, scope, response);
    return { replayed: false, response };
  }

  /**
   * Stores a 4xx verdict of the operation, the draft's "result of the previously completed
   * operation, success or an error". Best effort: when the key is in flight again or already has
   * an outcome, or the database fails, the verdict is answered unstored (a repeat executes again).
   */
  private async storeVerdict(scope: KeyScope, error: DomainError, req: Request): Promise<StoredResponse | undefined> {
    if (KEY_ERROR_CODES.has(error.code)) return undefined;
    const problem = domainProblem(error);
    if (problem.status < 400 || problem.status >= 500) return undefined;
    const response = storedError(problem, req.path, correlationIdOf(req));
    try {
      const saved = await (this.orm.em.fork() as EntityManager).transactional(async (tx) => {
        await tx.execute(`set local lock_timeout = ${Math.trunc(this.config.database.lockTimeoutMs)}`);
        if (!(await this.store.tryMarkInFlight(tx, scope))) return false;
        if ((await this.store.find(tx, scope)) !== undefined) return false;
        await this.store.save(tx, scope, response);
        return true;
      });
      return saved ? response : undefined;
    } catch (failure) {
      this.logger.warn({
        msg: 'could not store the 4xx outcome of a request with an Idempotency-Key; answered unstored',
        route: scope.route,
        reason: error.reason,
        error: (failure as Error)?.name,
      });
      return undefined;
    }
  }
}

/** What the handler answered, as Nest would send it: JSON for objects, the route's status, whitelisted headers. */
function captured(result: unknown, res: ExpressResponse): StoredResponse {
  const headers: Record<string, string> = {};
  let body = '';
  if (result !== undefined && result !== null) {
    body = typeof result === 'object' ? JSON.stringify(result) : String(result);
    headers['content-type'] = typeof result === 'object' ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8';
  }
  for (const name of REPLAYED_RESPONSE_HEADERS) {
    const value = res.getHeader(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return { status: res.statusCode, headers, body };
}
