import { MikroORM, type Connection } from '@mikro-orm/core';
import { Client } from 'pg';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { classifyDbError } from './sqlstate';

/** The name a replica goes by in metrics and logs: its position in `DB_READ_REPLICA_URLS`, never its URL (which may hold a password). */
export function replicaName(index: number): string {
  return `replica${index + 1}`;
}

/**
 * A driver that hands out its read replicas' connections one by one (the service's driver,
 * `src/database/postgresql-driver.ts`): MikroORM's own `getConnection('read')` picks one at random.
 */
export interface ReplicaSource {
  readReplicas(): readonly Connection[];
}

function isReplicaSource(driver: unknown): driver is ReplicaSource {
  return typeof (driver as Partial<ReplicaSource> | null)?.readReplicas === 'function';
}

/** A write-ahead log position (`pg_lsn` as text, `X/Y` in hex) as one comparable number. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!match) throw new Error(`not a pg_lsn: ${text.slice(0, 40)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** One sample of the primary's WAL position, at a time of this process. */
export interface PrimarySample {
  at: number;
  lsn: bigint;
}

/**
 * The time as of which a replica holds every committed write: the latest primary sample whose WAL
 * position the replica has replayed. A transaction that committed before that sample was taken
 * ended at or before that position, so the replica sees it. `undefined`: none of the samples is
 * replayed yet (the replica is further behind than the history reaches).
 */
export function freshAsOf(history: readonly PrimarySample[], replayed: bigint): number | undefined {
  let best: number | undefined;
  for (const sample of history) if (sample.lsn <= replayed && (best === undefined || sample.at > best)) best = sample.at;
  return best;
}

/**
 * One connection of the monitor's own to one server, opened when first needed and again after it
 * failed. Not a pooled connection: under load a sample waiting in the pool's queue behind the
 * requests would be dated from before that wait, and every replica would look as old as the queue
 * is long (a bench run on a saturated machine fell back on two reads in three that way).
 */
class Probe {
  private client: Client | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async row<T>(sql: string): Promise<T> {
    let client = this.client;
    if (client === undefined) {
      const fresh = new Client({ connectionString: this.url, connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs, keepAlive: true });
      // An 'error' event without a listener would crash the process; the next query finds out.
      fresh.on('error', () => this.drop(fresh));
      try {
        await fresh.connect();
      } catch (error) {
        void fresh.end().catch(() => undefined);
        throw error;
      }
      this.client = client = fresh;
    }
    try {
      return (await client.query(sql)).rows[0] as T;
    } catch (error) {
      this.drop(client);
      throw error;
    }
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
  }

  close(): void {
    if (this.client) this.drop(this.client);
  }
}

/** What the monitor knows of one replica. */
export interface ReplicaState {
  /** `replica1`, `replica2`, …: the position in `DB_READ_REPLICA_URLS`, never the URL. */
  readonly name: string;
  /** Where its reads go (MikroORM's replica connection and pool). */
  readonly connection: Connection;
  /** Its last sample succeeded (a failed read on it also clears this until the next success). */
  reachable: boolean;
  /** Every write committed on the primary before this time (ms, this process's clock) is visible on it. */
  freshAsOf: number | undefined;
}

/** Why a read that may use a replica went to the primary without trying one. */
export type ReplicaSkipReason = 'down' | 'lagging';

/**
 * Watches the read replicas (`DB_READ_REPLICA_URLS`) so that choosing one costs a request nothing
 * but a clock comparison. In the background, every `intervalMs` (a quarter of
 * `DB_REPLICA_MAX_LAG_MS`, at most 1 s), it reads the primary's `pg_current_wal_insert_lsn()` (every commit that returned is at or before it, even with `synchronous_commit = off`) and each
 * replica's `pg_last_wal_replay_lsn()`, and keeps, per replica, the time as of which it holds
 * every committed write (`freshAsOf`). A replica is eligible while `now - freshAsOf` is within
 * `DB_REPLICA_MAX_LAG_MS`: a replica that stops replaying (paused, disconnected from the primary,
 * or replaying a long conflict) ages out on its own, without a sample having to fail.
 *
 * Why WAL positions and not `pg_last_xact_replay_timestamp()`: on an idle primary the replay
 * timestamp grows old while the replica is fully caught up, and it says nothing of WAL the replica
 * has not received yet; positions compared with the primary's bound the staleness in both cases.
 *
 * A replica whose sample fails (down, refusing connections) is skipped until a sample succeeds.
 * With no replicas configured the monitor does nothing at all: no timer, no statement.
 */
@Injectable()
export class ReplicaMonitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ReplicaMonitor');
  readonly replicas: ReplicaState[];
  readonly maxLagMs: number;
  readonly intervalMs: number;
  private history: PrimarySample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private next = 0;

  private readonly primary: Probe | undefined;
  private readonly probes = new Map<ReplicaState, Probe>();

  constructor(orm: MikroORM, @Inject(APP_CONFIG) config: AppConfig) {
    const driver = orm.em.getDriver();
    const connections = isReplicaSource(driver) ? driver.readReplicas() : [];
    this.replicas = connections.map((connection, i) => ({ name: replicaName(i), connection, reachable: false, freshAsOf: undefined }));
    this.maxLagMs = config.database.replicas.maxLagMs;
    this.intervalMs = Math.max(10, Math.min(1000, Math.floor(this.maxLagMs / 4)));
    const timeoutMs = config.database.connectTimeoutMs;
    const urls = config.database.replicas.urls;
    const primaryUrl = orm.config.get('clientUrl');
    this.primary = this.replicas.length > 0 && primaryUrl ? new Probe(primaryUrl, timeoutMs) : undefined;
    this.replicas.forEach((replica, i) => this.probes.set(replica, new Probe(urls[i], timeoutMs)));
  }

  onModuleInit(): void {
    if (this.replicas.length === 0) return;
    // Not awaited: a replica that does not answer must not delay start-up; until the first sample
    // succeeds, every read goes to the primary.
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.primary?.close();
    for (const probe of this.probes.values()) probe.close();
  }

  /**
   * A replica to read from now, round robin over the eligible ones; otherwise why there is none
   * (`down` when no replica is reachable, else `lagging`).
   */
  pick(now = Date.now()): { replica: ReplicaState } | { skipped: ReplicaSkipReason } {
    const n = this.replicas.length;
    let reachable = false;
    for (let k = 0; k < n; k++) {
      const replica = this.replicas[(this.next + k) % n];
      if (!replica.reachable) continue;
      reachable = true;
      if (this.isFresh(replica, now)) {
        this.next = (this.next + k + 1) % n;
        return { replica };
      }
    }
    return { skipped: reachable ? 'lagging' : 'down' };
  }

  /** Whether `replica` holds every write older than `DB_REPLICA_MAX_LAG_MS` at time `now`. */
  isFresh(replica: ReplicaState, now = Date.now()): boolean {
    return replica.reachable && replica.freshAsOf !== undefined && now - replica.freshAsOf <= this.maxLagMs;
  }

  /** How old the replica's data may be, in seconds (`Infinity` when unknown): for the metrics. */
  stalenessSeconds(replica: ReplicaState, now = Date.now()): number {
    return replica.reachable && replica.freshAsOf !== undefined ? Math.max(0, now - replica.freshAsOf) / 1000 : Infinity;
  }

  /** A read on `replica` lost its connection: skip it until a sample (on the monitor's own connection) reaches it again. */
  markDown(replica: ReplicaState): void {
    replica.reachable = false;
  }

  /** One round of samples; a round still running (a server that does not answer) is not overlapped. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const at = Date.now();
      try {
        if (this.primary === undefined) throw new Error('no primary URL to sample');
        const row = await this.primary.row<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
        this.history.push({ at, lsn: parseLsn(row.lsn) });
      } catch (error) {
        // Without the primary's position no replica can be shown fresh; each ages out by itself.
        this.logger.warn({ msg: 'could not read the primary WAL position for the replica lag check', sqlstate: classifyDbError(error)?.code });
      }
      // Keep what can still prove a replica fresh enough, plus one older sample as a floor.
      const horizon = at - 2 * this.maxLagMs - this.intervalMs;
      const keepFrom = Math.max(0, this.history.findIndex((s) => s.at >= horizon) - 1);
      if (keepFrom > 0) this.history = this.history.slice(keepFrom);
      await Promise.all(this.replicas.map((replica) => this.sampleReplica(replica, at)));
    } finally {
      this.sampling = false;
    }
  }

  private async sampleReplica(replica: ReplicaState, at: number): Promise<void> {
    try {
      const row = await this.probes
        .get(replica)!
        .row<{ recovery: boolean; lsn: string | null }>('select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn');
      const wasReachable = replica.reachable;
      replica.reachable = true;
      // Not in recovery: a server that is no standby (promoted, or the primary itself) holds every
      // write it has, as of now.
      if (!row.recovery) replica.freshAsOf = at;
      else if (row.lsn !== null) {
        const fresh = freshAsOf(this.history, parseLsn(row.lsn));
        if (fresh !== undefined && (replica.freshAsOf === undefined || fresh > replica.freshAsOf)) replica.freshAsOf = fresh;
      }
      if (!wasReachable) this.logger.log({ msg: 'read replica reachable', replica: replica.name });
    } catch (error) {
      if (replica.reachable)
        this.logger.warn({ msg: 'read replica unreachable; its reads go to the primary', replica: replica.name, sqlstate: classifyDbError(error)?.code });
      replica.reachable = false;
    }
  }
}
