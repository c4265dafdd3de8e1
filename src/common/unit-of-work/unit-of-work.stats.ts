import { Injectable } from '@nestjs/common';

export type UnitOfWorkEvent =
  | { type: 'retry'; route: string; sqlstate: string; constraint?: string; attempt: number }
  | { type: 'retries_exhausted'; route: string; sqlstate: string }
  | { type: 'budget_refused'; route: string; sqlstate: string }
  | { type: 'conflict'; route: string; reason: string; constraint?: string }
  /** A statement failed because the database went away or could not be reached (`cause`: see `unavailableCause`, or `pool_exhausted`). */
  | { type: 'unavailable'; route: string; cause: string }
  /** A statement hit `statement_timeout` or `lock_timeout` (every attempt counts). */
  | { type: 'timeout'; route: string; reason: 'statement_timeout' | 'lock_timeout' }
  /** A request with an `Idempotency-Key` answered from its stored outcome, or refused (422 / 409). */
  | { type: 'idempotency'; route: string; outcome: IdempotencyOutcome }
  /** A read whose policy says `reads: 'replica'` was answered from the replica named `replica`. */
  | { type: 'replica_read'; route: string; replica: string }
  /** Such a read was answered from the primary instead, and why. */
  | { type: 'replica_fallback'; route: string; reason: ReplicaFallbackReason };

export type IdempotencyOutcome = 'replayed' | 'key_reused' | 'key_in_use';

/**
 * Why a read that may use a replica was answered from the primary: no replica reachable (`down`),
 * none within `DB_REPLICA_MAX_LAG_MS` (`lagging`), or the replica's attempt ended otherwise than in
 * a success: a refusal such as a 404 (`refusal`, re-read because the row may not be replayed yet),
 * the replica lost (`unavailable`), a recovery conflict (`recovery_conflict`), a statement or lock
 * timeout (`timeout`), any other error (`error`).
 */
export type ReplicaFallbackReason = 'down' | 'lagging' | 'refusal' | 'unavailable' | 'recovery_conflict' | 'timeout' | 'error';

export interface UnitOfWorkStatsSnapshot {
  retries: { route: string; sqlstate: string; count: number }[];
  conflicts: { reason: string; count: number }[];
  retriesExhausted: number;
  budgetRefusals: number;
  idempotency: { route: string; outcome: IdempotencyOutcome; count: number }[];
}

/**
 * The one place where retries, conflicts, budget refusals and idempotency-key replays and refusals are counted. A metrics endpoint reads
 * `snapshot()` or subscribes to events.
 */
@Injectable()
export class UnitOfWorkStats {
  private readonly retries = new Map<string, { route: string; sqlstate: string; count: number }>();
  private readonly conflicts = new Map<string, number>();
  private exhausted = 0;
  private refusals = 0;
  private readonly idempotency = new Map<string, { route: string; outcome: IdempotencyOutcome; count: number }>();
  private readonly listeners = new Set<(event: UnitOfWorkEvent) => void>();

  record(event: UnitOfWorkEvent): void {
    switch (event.type) {
      case 'retry': {
        const key = `${event.route}\u0000${event.sqlstate}`;
        const entry = this.retries.get(key) ?? { route: event.route, sqlstate: event.sqlstate, count: 0 };
        entry.count += 1;
        this.retries.set(key, entry);
        break;
      }
      case 'retries_exhausted':
        this.exhausted += 1;
        break;
      case 'budget_refused':
        this.refusals += 1;
        break;
      case 'conflict':
        this.conflicts.set(event.reason, (this.conflicts.get(event.reason) ?? 0) + 1);
        break;
      case 'unavailable':
      case 'timeout':
      case 'replica_read':
      case 'replica_fallback':
        // Counted by the metrics, which subscribe; nothing here reads them.
        break;
      case 'idempotency': {
        const key = `${event.route}\u0000${event.outcome}`;
        const entry = this.idempotency.get(key) ?? { route: event.route, outcome: event.outcome, count: 0 };
        entry.count += 1;
        this.idempotency.set(key, entry);
        break;
      }
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: UnitOfWorkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): UnitOfWorkStatsSnapshot {
    return {
      retries: [...this.retries.values()].map((r) => ({ ...r })),
      conflicts: [...this.conflicts.entries()].map(([reason, count]) => ({ reason, count })),
      retriesExhausted: this.exhausted,
      budgetRefusals: this.refusals,
      idempotency: [...this.idempotency.values()].map((r) => ({ ...r })),
    };
  }
}
