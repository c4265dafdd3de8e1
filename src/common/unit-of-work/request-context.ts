import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { Injectable, type NestMiddleware } from '@nestjs/common';

/** What one request holds: the global EntityManager to fork from, and the fork once someone asked. */
interface RequestScope {
  readonly parent: EntityManager;
  fork?: EntityManager;
  /** While the fork is being built: its constructor resolves the context itself. */
  forking?: boolean;
}

/** Marks the part of a request that must not make the request's fork (see `withoutRequestFork`). */
const BYPASS = Symbol('no request fork');

const storage = new AsyncLocalStorage<RequestScope | typeof BYPASS>();

/**
 * MikroORM's `context` option: the EntityManager that the injected (global) one resolves to
 * outside a transaction. Within a request it is the request's own fork, made on first use, so a
 * request that never touches the EntityManager outside a unit of work (the RTIF write: its unit of
 * work forks from the global EntityManager itself) makes no fork for its context. MikroORM's own
 * request context (`registerRequestContext: true`) forks eagerly for every request: one more
 * `EntityManager`, `UnitOfWork` and entity factory per request, and two `process.env` writes
 * (`Configuration.set('allowGlobalContext', …)` in `EntityManager.fork`).
 *
 * Outside a request (migrations, the CLI, a test without HTTP) it returns `undefined`, so the
 * global EntityManager refuses context-bound work as before (`allowGlobalContext: false`).
 */
export function requestScopedEntityManager(_name: string): EntityManager | undefined {
  const scope = storage.getStore();
  if (scope === undefined || scope === BYPASS) return undefined;
  if (scope.fork === undefined) {
    // The new EntityManager's own constructor resolves the context (its unit of work asks for the
    // entity factory): answer `undefined` then, as MikroORM's eager request context does before its
    // store exists, so that each EntityManager uses its own. `disableContextResolution`: fork from
    // the global EntityManager itself.
    if (scope.forking === true) return undefined;
    scope.forking = true;
    try {
      scope.fork = scope.parent.fork({ useContext: true, disableContextResolution: true });
    } finally {
      scope.forking = false;
    }
  }
  return scope.fork;
}

/**
 * Runs `work` where the global EntityManager has no request context, so `em.transactional` forks
 * from the global EntityManager instead of first making the request's fork only to fork it again.
 * Inside the transaction MikroORM's transaction context wins over `context` anyway; and a
 * transaction forked from the global EntityManager does not copy its entities back into a parent
 * after COMMIT (with a request fork as the parent it did, for nobody: the unit of work's result is
 * what the route returns).
 */
export function withoutRequestFork<T>(work: () => T): T {
  return storage.run(BYPASS, work);
}

/**
 * Opens the request's lazy context: every Nest route gets one (as MikroORM's middleware did), but
 * the fork behind it is made only when something resolves the EntityManager outside a unit of work.
 */
@Injectable()
export class LazyRequestContextMiddleware implements NestMiddleware {
  constructor(private readonly orm: MikroORM) {}

  use(_req: unknown, _res: unknown, next: () => void): void {
    storage.run({ parent: this.orm.em }, next);
  }
}
