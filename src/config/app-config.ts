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

/** The JWS algorithms the service can verify and sign with. */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const schema = z.object({
  HOST: z.string().trim().min(1).prefault('0.0.0.0'),
  PORT: integer(0, 65535).prefault('8080'),
  WEB_CONCURRENCY: integer(1, 64).prefault('1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).prefault('info'),

  DATABASE_URL: postgresUrl.optional(),
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_PG_DATA_DIR: z.string().trim().min(1).prefault('.data/postgres'),
  EMBEDDED_PG_PORT: integer(1, 65535).prefault('54329'),
  MIGRATIONS_RUN_ON_START: boolean.prefault('true'),

  DB_POOL_MAX: integer(1, 1000).prefault('10'),
  DB_CONNECT_TIMEOUT_MS: integer(100, 600_000).prefault('5000'),
  DB_LOCK_TIMEOUT_MS: integer(1, 600_000).prefault('2000'),
  DB_STATEMENT_TIMEOUT_MS: integer(1, 3_600_000).prefault('5000'),

  DB_RETRY_MAX_ATTEMPTS: integer(1, 20).prefault('3'),
  DB_RETRY_BASE_DELAY_MS: integer(0, 10_000).prefault('10'),
  DB_RETRY_MAX_DELAY_MS: integer(0, 60_000).prefault('250'),
  DB_RETRY_BUDGET_CAPACITY: integer(0, 1_000_000).prefault('100'),
  DB_RETRY_BUDGET_REFILL_PER_SECOND: integer(0, 1_000_000).prefault('20'),

  RTIF_MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024).prefault('1048576'),
  RTIF_MAX_DEPTH: integer(1, 1000).prefault('64'),
  RTIF_RETENTION_DAG_RUNS: integer(-1_000_000, 1_000_000).prefault('30'),
  RTIF_EXTRA_SENSITIVE_FIELDS: list.prefault(''),

  IDEMPOTENCY_KEY_TTL_SECONDS: integer(60, 30 * 86_400).prefault('86400'),
  IDEMPOTENCY_PURGE_INTERVAL_SECONDS: integer(0, 86_400).prefault('300'),

  HEALTH_CHECK_TIMEOUT_MS: integer(50, 60_000).prefault('1000'),
  SHUTDOWN_DELAY_MS: integer(0, 600_000).prefault('0'),
  SHUTDOWN_GRACE_MS: integer(0, 3_600_000).prefault('20000'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit key)').optional(),
  JWT_PRIVATE_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_JWKS_FILE: z.string().trim().min(1).optional(),
  JWT_SIGNING_KID: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -').optional(),
  JWT_ALGORITHMS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(z.enum(JWT_ALGORITHMS)).min(1))
    .optional(),
  JWT_AUDIENCE: z.string().trim().min(1).optional(),
  JWT_ISSUER: z.string().trim().min(1).optional(),
  JWT_LEEWAY_SECONDS: integer(0, 300).prefault('10'),
  JWT_EXECUTION_TOKEN_TTL_SECONDS: integer(60, 86_400).prefault('600'),
  JWT_WORKLOAD_TOKEN_TTL_SECONDS: integer(60, 30 * 86_400).prefault('86400'),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(z.string().url('must be a comma-separated list of origins such as https://ui.example.com')))
    .prefault(''),
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
  http: {
    host: string;
    port: number;
    /** Origins allowed by CORS; empty: CORS stays off (no Access-Control-* headers). */
    corsOrigins: string[];
    /** > 1: `main.ts` runs a `node:cluster` primary that forks that many HTTP workers. */
    workers: number;
  };
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
    /** `statement_timeout` of every statement a request sends (each route runs in a unit of work). */
    statementTimeoutMs: number;
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
  /** `Idempotency-Key` on the routes that opt in (see `src/common/idempotency-keys/`). */
  idempotency: {
    /** How long a key's stored response is replayed; after that the key is free again. */
    keyTtlSeconds: number;
    /** How often each process deletes expired keys; 0: never (another process or a job does it). */
    purgeIntervalSeconds: number;
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
  /** Bearer tokens (JWT). See `docs/security.md` and `src/common/auth/`. */
  auth: {
    /** HS256 shared secret: signs issued tokens unless a private key is set, and verifies. */
    secret: string | undefined;
    /** PEM (PKCS#8) RSA or P-256 private key that signs issued tokens (RS256/ES256). */
    privateKeyFile: string | undefined;
    /** PEM public key accepted for verification (tokens without `kid`). */
    publicKeyFile: string | undefined;
    /** Local JWKS file: more verification keys, selected by `kid` (rotation). */
    jwksFile: string | undefined;
    /** `kid` written into issued tokens; also picks the signing key out of the JWKS file. */
    signingKid: string | undefined;
    /** Accepted `alg` values; unset: the algorithms of the configured keys. */
    algorithms: JwtAlgorithm[] | undefined;
    audience: string | undefined;
    issuer: string | undefined;
    leewaySeconds: number;
    executionTokenTtlSeconds: number;
    workloadTokenTtlSeconds: number;
    /**
     * Set by `main.ts` (never from the environment) when no key is configured and the embedded
     * database is in use: the secret then comes from this file and an admin token is printed.
     */
    developmentSecretFile?: string;
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
    http: { host: e.HOST, port: e.PORT, corsOrigins: e.CORS_ORIGINS, workers: e.WEB_CONCURRENCY },
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL ?? e.DATABASE_URL,
      embedded: { dataDir: e.EMBEDDED_PG_DATA_DIR, port: e.EMBEDDED_PG_PORT },
      runMigrationsOnStart: e.MIGRATIONS_RUN_ON_START,
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      lockTimeoutMs: e.DB_LOCK_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
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
    idempotency: { keyTtlSeconds: e.IDEMPOTENCY_KEY_TTL_SECONDS, purgeIntervalSeconds: e.IDEMPOTENCY_PURGE_INTERVAL_SECONDS },
    health: { checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS },
    shutdown: { delayMs: e.SHUTDOWN_DELAY_MS, graceMs: e.SHUTDOWN_GRACE_MS },
    auth: {
      secret: e.JWT_SECRET,
      privateKeyFile: e.JWT_PRIVATE_KEY_FILE,
      publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
      jwksFile: e.JWT_JWKS_FILE,
      signingKid: e.JWT_SIGNING_KID,
      algorithms: e.JWT_ALGORITHMS,
      audience: e.JWT_AUDIENCE,
      issuer: e.JWT_ISSUER,
      leewaySeconds: e.JWT_LEEWAY_SECONDS,
      executionTokenTtlSeconds: e.JWT_EXECUTION_TOKEN_TTL_SECONDS,
      workloadTokenTtlSeconds: e.JWT_WORKLOAD_TOKEN_TTL_SECONDS,
    },
  };
}

/** Injection token for the validated `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
