import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from '../migrations';
import { DagRun } from '../task-instances/dag-run.entity';
import { RenderedTaskInstanceFields } from '../task-instances/rendered-task-instance-fields.entity';
import { TaskInstanceHistory } from '../task-instances/task-instance-history.entity';
import { TaskInstance } from '../task-instances/task-instance.entity';
import { TaskReschedule } from '../task-instances/task-reschedule.entity';
import { Trigger } from '../task-instances/trigger.entity';

/** Every entity of the service. A module adding entities appends them here. */
export const ENTITIES = [DagRun, TaskInstance, RenderedTaskInstanceFields, TaskInstanceHistory, TaskReschedule, Trigger];

/**
 * MikroORM options for `clientUrl`. Nothing here relies on session state across transactions
 * (no prepared statements, no session-level SET), so it works through PgBouncer in transaction
 * pooling mode.
 */
/** Where knex's own warnings go (dropped connections, pool timeouts); default: knex's console. */
export interface DriverLog {
  warn(message: string): void;
}

/**
 * Waiting for a pooled connection is allowed this much longer than opening one. When the database
 * does not answer, the connect timeout (DB_CONNECT_TIMEOUT_MS) then always fires first and the
 * answer is 503 `database_unavailable`; only a pool whose connections all stay busy runs into the
 * acquire timeout, answered 503 `pool_exhausted`. With equal timeouts the two raced.
 */
export const POOL_ACQUIRE_GRACE_MS = 1000;

export function buildOrmOptions(config: AppConfig, clientUrl: string, driverLog?: DriverLog): Options {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    forceUtcTimezone: true,
    pool: {
      min: 0,
      max: config.database.poolMax,
      acquireTimeoutMillis: config.database.connectTimeoutMs + POOL_ACQUIRE_GRACE_MS,
      idleTimeoutMillis: 30_000,
    },
    driverOptions: {
      acquireConnectionTimeout: config.database.connectTimeoutMs + POOL_ACQUIRE_GRACE_MS,
      connection: { connectionTimeoutMillis: config.database.connectTimeoutMs, keepAlive: true },
      // Only first lines: knex warnings name the failure ("Connection Error: …"), never SQL or values.
      ...(driverLog ? { log: { warn: (m: unknown) => driverLog.warn(String(m).split('\n')[0]), deprecate: () => undefined, debug: () => undefined, error: (m: unknown) => driverLog.warn(String(m).split('\n')[0]) } } : {}),
    },
    // The global EntityManager is never used directly: HTTP requests get a request context and
    // every write runs in a unit of work on its own fork.
    allowGlobalContext: false,
    // Never the `query-params` namespace: parameters carry rendered-field values and would reach the logs.
    debug: process.env.MIKRO_ORM_DEBUG === 'true' ? ['query', 'info', 'discovery'] : false,
    // Entities are listed explicitly; folder-based discovery would break under jest and dist alike.
    discovery: { warnWhenNoEntities: true },
  });
}
