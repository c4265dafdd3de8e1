import { z } from 'zod';
import { boolean, integer, list, type ModuleSettingsDefinition } from './env-schema';

/**
 * Every setting the service reads, parsed once at boot from environment variables.
 *
 * A bad value stops the process with a message that names the variable (`loadConfig` throws
 * `ConfigError`), so a typo in a deployment manifest fails fast instead of at the first request.
 */
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

/**
 * The JWS algorithms the service can verify (and sign with). HS512, RS512 and EdDSA are what an
 * Airflow deployment signs with by default (`[api_auth] jwt_algorithm = GUESS`: HS512 for
 * `jwt_secret`, RS512 for an RSA key, EdDSA for an Ed25519 key).
 */
export const JWT_ALGORITHMS = ['HS256', 'HS512', 'RS256', 'RS512', 'ES256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/**
 * Shortest `JWT_SECRET` accepted. Airflow generates its `[api_auth] jwt_secret` with
 * `secrets.token_urlsafe(16)`: 22 characters holding 128 random bits, so sharing Airflow's key
 * needs secrets that short (accepted with a start-up warning below `JWT_SECRET_RECOMMENDED_BYTES`).
 * Fewer than 16 bytes cannot hold 128 random bits whatever the alphabet: refused.
 */
export const JWT_SECRET_MIN_BYTES = 16;
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output (32 bytes for HS256). */
export const JWT_SECRET_RECOMMENDED_BYTES = 32;
/** Airflow's `[execution_api] jwt_audience` default: the audience of every task token it mints. */
export const AIRFLOW_TASK_AUDIENCE = 'urn:airflow.apache.org:task';

/** A comma-separated list of claim values, as Airflow reads `jwt_audience` and `jwt_issuer` (case kept). */
const claimList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()).min(1, 'must name at least one value'));

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
  DB_ISOLATION: z.enum(['read_committed', 'repeatable_read', 'serializable']).prefault('read_committed'),

  // Defaults depend on DB_ISOLATION (SERIALIZABLE_RETRY_DEFAULTS): unset here.
  DB_RETRY_MAX_ATTEMPTS: integer(1, 20).optional(),
  DB_RETRY_BASE_DELAY_MS: integer(0, 10_000).prefault('10'),
  DB_RETRY_MAX_DELAY_MS: integer(0, 60_000).optional(),
  DB_RETRY_BUDGET_CAPACITY: integer(0, 1_000_000).optional(),
  DB_RETRY_BUDGET_REFILL_PER_SECOND: integer(0, 1_000_000).optional(),

  // Limits of every request body, whatever the route (a module may set a lower one of its own).
  // RTIF_MAX_BODY_BYTES and RTIF_MAX_DEPTH are the names from when RTIF was the only body route:
  // still accepted as aliases (see loadConfig).
  HTTP_MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024).optional(),
  HTTP_MAX_JSON_DEPTH: integer(1, 1000).optional(),
  RTIF_MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024).optional(),
  RTIF_MAX_DEPTH: integer(1, 1000).optional(),
  RTIF_RETENTION_DAG_RUNS: integer(-1_000_000, 1_000_000).prefault('30'),
  RTIF_EXTRA_SENSITIVE_FIELDS: list.prefault(''),

  IDEMPOTENCY_KEY_TTL_SECONDS: integer(60, 30 * 86_400).prefault('86400'),
  IDEMPOTENCY_PURGE_INTERVAL_SECONDS: integer(0, 86_400).prefault('300'),

  HEALTH_CHECK_TIMEOUT_MS: integer(50, 60_000).prefault('1000'),
  SHUTDOWN_DELAY_MS: integer(0, 600_000).prefault('0'),
  SHUTDOWN_GRACE_MS: integer(0, 3_600_000).prefault('20000'),
  JWT_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v) >= JWT_SECRET_MIN_BYTES, `must be at least ${JWT_SECRET_MIN_BYTES} bytes (fewer cannot hold 128 random bits)`)
    .optional(),
  JWT_PRIVATE_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_JWKS_FILE: z.string().trim().min(1).optional(),
  JWT_SIGNING_KID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -')
    .optional(),
  JWT_ALGORITHMS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(z.enum(JWT_ALGORITHMS)).min(1))
    .optional(),
  JWT_AUDIENCE: claimList.prefault(AIRFLOW_TASK_AUDIENCE),
  JWT_ISSUER: claimList.optional(),
  JWT_LEEWAY_SECONDS: integer(0, 300).prefault('10'),
  JWT_VERIFY_CACHE_SIZE: integer(0, 1_000_000).prefault('10000'),
  JWT_EXECUTION_TOKEN_TTL_SECONDS: integer(60, 86_400).prefault('600'),
  JWT_WORKLOAD_TOKEN_TTL_SECONDS: integer(60, 30 * 86_400).prefault('86400'),
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
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

/** `DB_ISOLATION`: the isolation level of every unit of work. */
export type DatabaseIsolation = 'read_committed' | 'repeatable_read' | 'serializable';

/**
 * Retry defaults per isolation level. Under read committed a concurrent write to the same row waits
 * for its lock, so retries are rare (deadlocks, lock timeouts). Under repeatable read and
 * serializable the loser of every such race fails with 40001 and must be retried: with N writers
 * on one row the last one needs up to N attempts (measured: 30 concurrent RTIF PUTs on one task
 * instance took 59-84 retries in all, none more than 10 attempts), and the retries are the normal
 * path rather than a storm to shed, so the budget is ten times larger too.
 */
const RETRY_DEFAULTS: Record<DatabaseIsolation, { maxAttempts: number; maxDelayMs: number; budgetCapacity: number; budgetRefillPerSecond: number }> = {
  read_committed: { maxAttempts: 3, maxDelayMs: 250, budgetCapacity: 100, budgetRefillPerSecond: 20 },
  repeatable_read: { maxAttempts: 20, maxDelayMs: 1000, budgetCapacity: 1000, budgetRefillPerSecond: 200 },
  serializable: { maxAttempts: 20, maxDelayMs: 1000, budgetCapacity: 1000, budgetRefillPerSecond: 200 },
};

export interface AppConfig {
  http: {
    host: string;
    port: number;
    /** Origins allowed by CORS; empty: CORS stays off (no Access-Control-* headers). */
    corsOrigins: string[];
    /** > 1: `main.ts` runs a `node:cluster` primary that forks that many HTTP workers. */
    workers: number;
    /** HTTP_MAX_BODY_BYTES (alias RTIF_MAX_BODY_BYTES): any request body above it is refused (413). */
    maxBodyBytes: number;
    /** HTTP_MAX_JSON_DEPTH (alias RTIF_MAX_DEPTH): any JSON body nested deeper is refused (422). */
    maxJsonDepth: number;
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
    /**
     * Isolation level of every unit of work. `read_committed` (the default) is what the routes are
     * written for; `serializable` stands in for the distributed PostgreSQL-compatible engines, which
     * run serializable only: every 40001 is retried on a fresh unit of work (docs/operations.md).
     */
    isolation: DatabaseIsolation;
  };
  retry: {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    budgetCapacity: number;
    budgetRefillPerSecond: number;
  };
  rtif: {
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
    /** Shared secret: signs issued tokens (HS256) unless a private key is set, and verifies HS256 and HS512 tokens. */
    secret: string | undefined;
    /** PEM (PKCS#8) RSA, P-256 or Ed25519 private key that signs issued tokens (RS256/ES256/EdDSA). */
    privateKeyFile: string | undefined;
    /** PEM public key accepted for verification (tokens without `kid`). */
    publicKeyFile: string | undefined;
    /** Local JWKS file: more verification keys, selected by `kid` (rotation). */
    jwksFile: string | undefined;
    /** `kid` written into issued tokens; also picks the signing key out of the JWKS file. */
    signingKid: string | undefined;
    /** Accepted `alg` values; unset: the algorithms of the configured keys. */
    algorithms: JwtAlgorithm[] | undefined;
    /** Accepted `aud` values (any one must match); the first is written into issued tokens. Default: Airflow's. */
    audience: string[];
    /** Accepted `iss` values; the first is written into issued tokens. Unset: not checked (Airflow's default). */
    issuer: string[] | undefined;
    leewaySeconds: number;
    /** Verified tokens kept (LRU, each until its `exp`) so a task's repeated calls skip the signature check; 0: off. */
    verifyCacheSize: number;
    executionTokenTtlSeconds: number;
    workloadTokenTtlSeconds: number;
    /**
     * Set by `main.ts` (never from the environment) when no key is configured and the embedded
     * database is in use: the secret then comes from this file and an admin token is printed.
     */
    developmentSecretFile?: string;
  };
  /**
   * The settings feature modules declare (`defineModuleSettings`), by module name; read them
   * typed through the definition (`XCOM_SETTINGS.of(config)`), never by indexing this.
   */
  modules: Readonly<Record<string, unknown>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** The old name and the new one of a renamed variable must not disagree. */
function aliased(name: string, alias: string, value: number | undefined, aliasValue: number | undefined, fallback: number): number | string {
  if (value !== undefined && aliasValue !== undefined && value !== aliasValue)
    return `${name}: set to ${value}, but its alias ${alias} is ${aliasValue}; set one`;
  return value ?? aliasValue ?? fallback;
}

/**
 * Parses and validates `env`: the core settings and the feature settings `modules` (the
 * composition root passes every manifest's: `loadAppConfig` in `src/settings.ts`); throws
 * `ConfigError` naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv, modules: readonly ModuleSettingsDefinition[]): AppConfig {
  // Empty strings count as unset, as most deployment tools write them for blank values.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  let full = schema as z.ZodObject<z.ZodRawShape>;
  for (const m of modules) full = full.extend(m.shape);
  const parsed = full.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data as unknown as z.output<typeof schema>;
  const problems: string[] = [];
  const maxDelayMs = e.DB_RETRY_MAX_DELAY_MS ?? RETRY_DEFAULTS[e.DB_ISOLATION].maxDelayMs;
  if (maxDelayMs < e.DB_RETRY_BASE_DELAY_MS) problems.push('DB_RETRY_MAX_DELAY_MS: must be at least DB_RETRY_BASE_DELAY_MS');
  const maxBodyBytes = aliased('HTTP_MAX_BODY_BYTES', 'RTIF_MAX_BODY_BYTES', e.HTTP_MAX_BODY_BYTES, e.RTIF_MAX_BODY_BYTES, 1_048_576);
  const maxJsonDepth = aliased('HTTP_MAX_JSON_DEPTH', 'RTIF_MAX_DEPTH', e.HTTP_MAX_JSON_DEPTH, e.RTIF_MAX_DEPTH, 64);
  for (const v of [maxBodyBytes, maxJsonDepth]) if (typeof v === 'string') problems.push(v);
  const core = { http: { maxBodyBytes: maxBodyBytes as number } };
  const moduleSettings: Record<string, unknown> = {};
  for (const m of modules) {
    if (m.name in moduleSettings) throw new Error(`two feature modules declare settings named ${m.name}`);
    const settings = m.map(parsed.data as never, core);
    problems.push(...(m.check?.(settings, core) ?? []));
    moduleSettings[m.name] = Object.freeze(settings);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    http: {
      host: e.HOST,
      port: e.PORT,
      corsOrigins: e.CORS_ORIGINS,
      workers: e.WEB_CONCURRENCY,
      maxBodyBytes: maxBodyBytes as number,
      maxJsonDepth: maxJsonDepth as number,
    },
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
      isolation: e.DB_ISOLATION,
    },
    retry: {
      maxAttempts: e.DB_RETRY_MAX_ATTEMPTS ?? RETRY_DEFAULTS[e.DB_ISOLATION].maxAttempts,
      baseDelayMs: e.DB_RETRY_BASE_DELAY_MS,
      maxDelayMs,
      budgetCapacity: e.DB_RETRY_BUDGET_CAPACITY ?? RETRY_DEFAULTS[e.DB_ISOLATION].budgetCapacity,
      budgetRefillPerSecond: e.DB_RETRY_BUDGET_REFILL_PER_SECOND ?? RETRY_DEFAULTS[e.DB_ISOLATION].budgetRefillPerSecond,
    },
    rtif: {
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
      verifyCacheSize: e.JWT_VERIFY_CACHE_SIZE,
      executionTokenTtlSeconds: e.JWT_EXECUTION_TOKEN_TTL_SECONDS,
      workloadTokenTtlSeconds: e.JWT_WORKLOAD_TOKEN_TTL_SECONDS,
    },
    modules: Object.freeze(moduleSettings),
  };
}

/** Injection token for the validated `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
