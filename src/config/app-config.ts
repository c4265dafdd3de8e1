import { z } from 'zod';

/**
 * Every setting the service reads, parsed once at boot from environment variables.
 *
 * A bad value stops the process with a message that names the variable (`loadConfig` throws
 * `ConfigError`), so a typo in a deployment manifest fails fast instead of at the first request.
 */
const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0));

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL');

const schema = z.object({
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default('8080'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),

  DATABASE_URL: postgresUrl.optional(),
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_PG_DATA_DIR: z.string().trim().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: integer(1, 65535).default('54329'),
  MIGRATIONS_RUN_ON_START: boolean.default('true'),

  DB_POOL_MAX: integer(1, 1000).default('10'),
  DB_CONNECT_TIMEOUT_MS: integer(100, 600_000).default('5000'),
  DB_LOCK_TIMEOUT_MS: integer(1, 600_000).default('2000'),

  DB_RETRY_MAX_ATTEMPTS: integer(1, 20).default('3'),
  DB_RETRY_BASE_DELAY_MS: integer(0, 10_000).default('10'),
  DB_RETRY_MAX_DELAY_MS: integer(0, 60_000).default('250'),
  DB_RETRY_BUDGET_CAPACITY: integer(0, 1_000_000).default('100'),
  DB_RETRY_BUDGET_REFILL_PER_SECOND: integer(0, 1_000_000).default('20'),

  RTIF_MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024).default('1048576'),
  RTIF_MAX_DEPTH: integer(1, 1000).default('64'),
  RTIF_RETENTION_DAG_RUNS: integer(-1_000_000, 1_000_000).default('30'),
  RTIF_EXTRA_SENSITIVE_FIELDS: list.default(''),

  HEALTH_CHECK_TIMEOUT_MS: integer(50, 60_000).default('1000'),
  SHUTDOWN_DELAY_MS: integer(0, 600_000).default('0'),
  SHUTDOWN_GRACE_MS: integer(0, 3_600_000).default('20000'),
});

export const DEFAULT_SENSITIVE_FIELDS = [
  'access_token',
  'api_key',
  'apikey',
  'authorization',
  'passphrase',
  'passwd',
  'password',
  'private_key',
  'secret',
  'token',
  'keyfile_dict',
  'service_account',
] as const;

export interface AppConfig {
  http: { host: string; port: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  database: {
    /** Unset: an embedded PostgreSQL is started (see `src/database/embedded-postgres.ts`). */
    url: string | undefined;
    /** Direct (not pooled) URL for migrations and their advisory lock; defaults to `url`. */
    migrationUrl: string | undefined;
    embedded: { dataDir: string; port: number };
    runMigrationsOnStart: boolean;
    poolMax: number;
    connectTimeoutMs: number;
    lockTimeoutMs: number;
  };
  retry: {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    budgetCapacity: number;
    budgetRefillPerSecond: number;
  };
  rtif: {
    maxBodyBytes: number;
    maxDepth: number;
    retentionDagRuns: number;
    sensitiveFields: string[];
  };
  health: {
    /** Bound on each readiness check (database ping, pending migrations). */
    checkTimeoutMs: number;
  };
  shutdown: {
    /** After SIGTERM, how long the listener stays open (readiness already 503) before it closes. */
    delayMs: number;
    /** After SIGTERM, how long in-flight requests may run before their connections are cut. */
    graceMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates `env`; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as most deployment tools write them for blank values.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  const e = parsed.data;
  if (e.DB_RETRY_MAX_DELAY_MS < e.DB_RETRY_BASE_DELAY_MS) {
    throw new ConfigError([
      'DB_RETRY_MAX_DELAY_MS: must be at least DB_RETRY_BASE_DELAY_MS',
    ]);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL ?? e.DATABASE_URL,
      embedded: { dataDir: e.EMBEDDED_PG_DATA_DIR, port: e.EMBEDDED_PG_PORT },
      runMigrationsOnStart: e.MIGRATIONS_RUN_ON_START,
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      lockTimeoutMs: e.DB_LOCK_TIMEOUT_MS,
    },
    retry: {
      maxAttempts: e.DB_RETRY_MAX_ATTEMPTS,
      baseDelayMs: e.DB_RETRY_BASE_DELAY_MS,
      maxDelayMs: e.DB_RETRY_MAX_DELAY_MS,
      budgetCapacity: e.DB_RETRY_BUDGET_CAPACITY,
      budgetRefillPerSecond: e.DB_RETRY_BUDGET_REFILL_PER_SECOND,
    },
    rtif: {
      maxBodyBytes: e.RTIF_MAX_BODY_BYTES,
      maxDepth: e.RTIF_MAX_DEPTH,
      retentionDagRuns: e.RTIF_RETENTION_DAG_RUNS,
      sensitiveFields: [...new Set([...DEFAULT_SENSITIVE_FIELDS, ...e.RTIF_EXTRA_SENSITIVE_FIELDS])],
    },
    health: { checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS },
    shutdown: { delayMs: e.SHUTDOWN_DELAY_MS, graceMs: e.SHUTDOWN_GRACE_MS },
  };
}

/** Injection token for the validated `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
