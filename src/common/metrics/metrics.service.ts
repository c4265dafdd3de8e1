import { performance } from 'node:perf_hooks';
import { MikroORM } from '@mikro-orm/core';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routeLabelOf } from '../http/route-label';
import { DomainError } from '../problem/domain-error';
import { ClusterMetricsClient, isClusterWorker } from './cluster-metrics';
import { isPoolStatsSource, type PoolStats } from './pool-stats';
import { UnitOfWorkStats, type IdempotencyOutcome, type UnitOfWorkEvent } from '../unit-of-work/unit-of-work.stats';
import { TokenVerifier } from '../auth/token-verifier';
import { ReplicaMonitor } from '../unit-of-work/replica-monitor';

/** Latency buckets in seconds: a fast RTIF upsert is a few ms; 5 s is the default connect timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus registry of one application instance (not prom-client's global registry, so two
 * apps in one process, as in tests, never share or clash over series).
 *
 * Retries, exhausted retries, conflicts and budget refusals are not counted here: they are read
 * from `UnitOfWorkStats`, the one place that counts them. Labels are route templates, never raw
 * paths, so series stay bounded.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private unsubscribe: (() => void) | undefined;
  /** Set in a cluster worker: scrapes answer with every worker's metrics. */
  private readonly cluster = isClusterWorker() ? new ClusterMetricsClient(this.registry) : undefined;

  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request arriving to its response finishing, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: 'db_retries_total',
    help: 'Units of work rerun after a transient database failure, by route and SQLSTATE.',
    labelNames: ['method', 'route', 'sqlstate'] as const,
    registers: [this.registry],
  });

  private readonly exhausted = new Counter({
    name: 'db_retries_exhausted_total',
    help: 'Units of work that failed after all attempts (answered 503 retries_exhausted), by route and SQLSTATE.',
    labelNames: ['method', 'route', 'sqlstate'] as const,
    registers: [this.registry],
  });

  private readonly budgetRefusals = new Counter({
    name: 'db_retry_budget_refusals_total',
    help: 'Retries refused because the process-wide retry budget was empty (answered 503 retry_budget_exhausted).',
    labelNames: ['method', 'route', 'sqlstate'] as const,
    registers: [this.registry],
  });

  private readonly conflicts = new Counter({
    name: 'db_conflicts_total',
    help: 'Real conflicts answered 409, by route and reason.',
    labelNames: ['method', 'route', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly unavailable = new Counter({
    name: 'db_unavailable_total',
    help: 'Units of work failed because the database went away or could not be reached (answered 503), by route and cause: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, disk_full, out_of_memory, insufficient_resources, connection_exception, connection_refused, connect_timeout, connection_lost, pool_exhausted.',
    labelNames: ['method', 'route', 'cause'] as const,
    registers: [this.registry],
  });

  private readonly timeouts = new Counter({
    name: 'db_timeouts_total',
    help: 'Statements stopped by statement_timeout (DB_STATEMENT_TIMEOUT_MS) or lock_timeout (DB_LOCK_TIMEOUT_MS), every attempt counted, by route and reason.',
    labelNames: ['method', 'route', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly replicaReads = new Counter({
    name: 'db_replica_reads_total',
    help: "Reads of routes whose policy allows a replica (reads: 'replica') answered from a read replica, by route and replica (its position in DB_READ_REPLICA_URLS).",
    labelNames: ['method', 'route', 'replica'] as const,
    registers: [this.registry],
  });

  private readonly replicaFallbacks = new Counter({
    name: 'db_replica_fallbacks_total',
    help: 'Reads of routes whose policy allows a replica answered from the primary instead, by route and reason: down, lagging (none within DB_REPLICA_MAX_LAG_MS), refusal (a 4xx on the replica, re-read), unavailable, recovery_conflict, timeout, error.',
    labelNames: ['method', 'route', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly idempotency = {
    replayed: new Counter({
      name: 'idempotency_replays_total',
      help: 'Requests with an Idempotency-Key answered with the stored response of an earlier request (nothing executed), by route.',
      labelNames: ['method', 'route'] as const,
      registers: [this.registry],
    }),
    key_reused: new Counter({
      name: 'idempotency_key_reused_total',
      help: 'Requests refused 422 idempotency_key_reused: the key was used for a different request, by route.',
      labelNames: ['method', 'route'] as const,
      registers: [this.registry],
    }),
    key_in_use: new Counter({
      name: 'idempotency_key_in_use_total',
      help: 'Requests refused 409 idempotency_key_in_use: a request with the same key was still in flight, by route.',
      labelNames: ['method', 'route'] as const,
      registers: [this.registry],
    }),
  } satisfies Record<IdempotencyOutcome, Counter<'method' | 'route'>>;

  constructor(
    private readonly stats: UnitOfWorkStats,
    private readonly orm: MikroORM,
    tokens: TokenVerifier,
    replicas: ReplicaMonitor,
  ) {
    collectDefaultMetrics({ register: this.registry });
    // Read on scrape from the verifier's own tallies: nothing is added to the request path.
    const countedAccepted = { cache_hit: 0, verified: 0 };
    new Counter({
      name: 'auth_token_verifications_total',
      help: 'Bearer tokens accepted, by outcome: cache_hit (verified before, expiry checked again) or verified (signature and claims checked in full).',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        for (const outcome of ['cache_hit', 'verified'] as const) {
          this.inc({ outcome }, tokens.accepted[outcome] - countedAccepted[outcome]);
          countedAccepted[outcome] = tokens.accepted[outcome];
        }
      },
    });
    new Gauge({
      name: 'auth_token_cache_entries',
      help: 'Verified tokens held by the cache (JWT_VERIFY_CACHE_SIZE at most).',
      registers: [this.registry],
      collect() {
        this.set(tokens.cachedTokens);
      },
    });
    // Event-loop utilisation (the share of wall time the loop was busy): a counter of busy seconds,
    // so `rate(nodejs_eventloop_active_seconds_total[1m])` is the ELU (summed over cluster workers).
    let lastActiveMs = performance.eventLoopUtilization().active;
    new Counter({
      name: 'nodejs_eventloop_active_seconds_total',
      help: 'Seconds the event loop spent busy (not waiting for I/O); its rate is the event-loop utilisation.',
      registers: [this.registry],
      collect() {
        const active = performance.eventLoopUtilization().active;
        this.inc(Math.max(0, active - lastActiveMs) / 1000);
        lastActiveMs = active;
      },
    });
    const pool = () => this.pool();
    const gauge = (name: string, help: string, read: (p: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        // Read on scrape: no timer, and the value is the pool's state at that moment.
        collect() {
          const p = pool();
          this.set(p === undefined ? 0 : read(p));
        },
      });
    gauge('db_pool_connections_used', 'Pool connections lent to a unit of work or query, or being opened for one.', (p) => p.used);
    gauge('db_pool_connections_free', 'Idle pool connections.', (p) => p.free);
    gauge('db_pool_pending_acquires', 'Requests waiting for a pool connection.', (p) => p.pendingAcquires);
    gauge('db_pool_pending_creates', 'Connections being opened.', (p) => p.pendingCreates);
    // Per replica, read on scrape from the monitor's last samples (none without replicas).
    if (replicas.replicas.length > 0) {
      new Gauge({
        name: 'db_replica_eligible',
        help: 'Whether the read replica is reachable and within DB_REPLICA_MAX_LAG_MS (1) or skipped (0), by replica.',
        labelNames: ['replica'] as const,
        registers: [this.registry],
        // Under WEB_CONCURRENCY each worker samples on its own: 1 only when every worker uses it.
        aggregator: 'min',
        collect() {
          for (const r of replicas.replicas) this.set({ replica: r.name }, replicas.isFresh(r) ? 1 : 0);
        },
      });
      new Gauge({
        name: 'db_replica_staleness_seconds',
        help: 'How old the read replica’s data may be (time since the newest primary WAL position it has replayed was sampled); +Inf when unknown or unreachable.',
        labelNames: ['replica'] as const,
        registers: [this.registry],
        aggregator: 'max',
        collect() {
          for (const r of replicas.replicas) this.set({ replica: r.name }, replicas.stalenessSeconds(r));
        },
      });
    }
    const max = new Gauge({ name: 'db_pool_connections_max', help: 'Configured pool size (DB_POOL_MAX).', registers: [this.registry] });
    max.set(Number((orm.config.get('pool') as { max?: number } | undefined)?.max ?? 0));
  }

  onModuleInit(): void {
    this.unsubscribe = this.stats.subscribe((event) => this.onUnitOfWorkEvent(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Express middleware that times every request, including those refused before routing. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.latency.startTimer();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const labels = { method: req.method, route: routeLabelOf(req), status: String(res.statusCode) };
      end(labels);
      this.requests.inc(labels);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };

  /**
   * The metrics text. In a worker of `WEB_CONCURRENCY` > 1, the whole host's: every worker's
   * registry, aggregated by the cluster primary (see `cluster-metrics.ts`).
   */
  async render(): Promise<string> {
    if (!this.cluster) return this.registry.metrics();
    const text = await this.cluster.fetch();
    if (text === undefined) {
      throw new DomainError('not_ready', "The cluster primary did not return the workers' metrics in time.", 'metrics_unavailable', {}, 1);
    }
    return text;
  }

  private onUnitOfWorkEvent(event: UnitOfWorkEvent): void {
    // UnitOfWorkStats names a route "METHOD /template".
    const space = event.route.indexOf(' ');
    const method = space > 0 ? event.route.slice(0, space) : '';
    const route = space > 0 ? event.route.slice(space + 1) : event.route;
    switch (event.type) {
      case 'retry':
        this.retries.inc({ method, route, sqlstate: event.sqlstate });
        break;
      case 'retries_exhausted':
        this.exhausted.inc({ method, route, sqlstate: event.sqlstate });
        break;
      case 'budget_refused':
        this.budgetRefusals.inc({ method, route, sqlstate: event.sqlstate });
        break;
      case 'conflict':
        this.conflicts.inc({ method, route, reason: event.reason });
        break;
      case 'unavailable':
        this.unavailable.inc({ method, route, cause: event.cause });
        break;
      case 'timeout':
        this.timeouts.inc({ method, route, reason: event.reason });
        break;
      case 'idempotency':
        this.idempotency[event.outcome].inc({ method, route });
        break;
      case 'replica_read':
        this.replicaReads.inc({ method, route, replica: event.replica });
        break;
      case 'replica_fallback':
        this.replicaFallbacks.inc({ method, route, reason: event.reason });
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown unit-of-work event ${JSON.stringify(never)}`);
      }
    }
  }

  private pool(): PoolStats | undefined {
    const source: unknown = this.orm.config.get('driverOptions');
    return isPoolStatsSource(source) ? source.poolStats() : undefined;
  }
}
