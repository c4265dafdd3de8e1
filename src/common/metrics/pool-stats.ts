/** The connection pool's state as the metrics report it, read on each scrape. */
export interface PoolStats {
  /** Connections lent to a unit of work or query, or being opened for one. */
  used: number;
  free: number;
  /** Requests waiting for a connection. */
  pendingAcquires: number;
  /** Connections being opened. */
  pendingCreates: number;
}

/**
 * Implemented by the database adapter (`src/database/pg-adapter.ts`), which MikroORM keeps as its
 * `driverOptions`: the metrics find the pool there without importing the database layer.
 */
export interface PoolStatsSource {
  poolStats(): PoolStats | undefined;
}

export function isPoolStatsSource(value: unknown): value is PoolStatsSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<PoolStatsSource>).poolStats === 'function';
}
