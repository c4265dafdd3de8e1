import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from '../migrations';
import { PgAdapterDialect } from './pg-adapter';
import { ServicePostgreSqlDriver } from './postgresql-driver';
import { FEATURES } from '../features';
import { replicaName } from '../common/unit-of-work/replica-monitor';
import { requestScopedEntityManager } from '../common/unit-of-work/request-context';
import { IdempotencyKey } from '../common/idempotency-keys/idempotency-key.entity';

/** Every entity of the service: the core's (`idempotency_key`) and what each feature's manifest lists (`src/features.ts`). */
export const ENTITIES = [IdempotencyKey, ...FEATURES.flatMap((feature) => feature.entities)];

/** Where the driver's own warnings go (connections dropped while idle or checked out). */
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

const POOL_IDLE_TIMEOUT_MS = 30_000;

/**
 * MikroORM options for `clientUrl`. Nothing here relies on session state across transactions
 * (no prepared statements, no session-level SET), so it works through PgBouncer in transaction
 * pooling mode.
 *
 * `withReplicas` (the application; not the migration CLI) adds `DB_READ_REPLICA_URLS` as MikroORM
 * `replicas`, each with a dialect and pool of its own. `preferReadReplicas` stays off: MikroORM
 * would otherwise send every query made outside a transaction to a random replica, whatever its
 * lag; the only reads that reach a replica are the units of work whose policy says so
 * (`UnitOfWorkRunner`, `ReplicaMonitor`).
 */
export function buildOrmOptions(
  config: AppConfig,
  clientUrl: string,
  driverLog?: DriverLog,
  poolMax = config.database.poolMax,
  { withReplicas = true }: { withReplicas?: boolean } = {},
): Options {
  const dialect = (url: string) =>
    new PgAdapterDialect({
      url,
      max: poolMax,
      idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
      connectTimeoutMs: config.database.connectTimeoutMs,
      acquireTimeoutMs: config.database.connectTimeoutMs + POOL_ACQUIRE_GRACE_MS,
      warn: driverLog ? (message) => driverLog.warn(message) : undefined,
    });
  const replicaUrls = withReplicas ? config.database.replicas.urls : [];
  return defineConfig({
    clientUrl,
    // MikroORM's PostgreSQL driver, with a faster literal escaping of the same output.
    driver: ServicePostgreSqlDriver,
    entities: ENTITIES,
    extensions: [Migrator],
    // MikroORM 7 reads decorator metadata only when told to (its default needs explicit types).
    metadataProvider: ReflectMetadataProvider,
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    forceUtcTimezone: true,
    pool: { max: poolMax, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS },
    // The service's own kysely dialect (src/database/pg-adapter.ts): MikroORM uses a dialect given
    // here as it is, and makes no pool of its own.
    driverOptions: dialect(clientUrl),
    // A replica's pool opens no connection until a read asks for one: a replica that is down at
    // start-up delays nothing (the monitor finds it down and the reads go to the primary).
    ...(replicaUrls.length > 0
      ? { replicas: replicaUrls.map((url, i) => ({ name: replicaName(i), clientUrl: url, driverOptions: dialect(url) })), preferReadReplicas: false }
      : { preferReadReplicas: false }),
    // The global EntityManager is never used directly: HTTP requests get a request context and
    // every write runs in a unit of work on its own fork.
    allowGlobalContext: false,
    // A request's context fork is made on first use, not for every request (common/unit-of-work/request-context.ts).
    context: requestScopedEntityManager,
    // Never the `query-params` namespace: parameters carry rendered-field values and would reach the logs.
    debug: process.env.MIKRO_ORM_DEBUG === 'true' ? ['query', 'info', 'discovery'] : false,
    // Entities are listed explicitly; folder-based discovery would break under jest and dist alike.
    discovery: { warnWhenNoEntities: true },
  });
}
