import {
  EnvBoolean,
  EnvInteger,
  EnvOneOf,
  EnvProblem,
  EnvText,
  EnvVariable,
  EnvWordList,
  parseList,
  parseOneOf,
  validateEnv,
  type EnvParse,
  type ModuleSettingsDefinition,
} from './env-schema';

/**
 * Every setting the service reads, parsed once at boot from environment variables.
 *
 * A bad value stops the process with a message that names the variable (`loadConfig` throws
 * `ConfigError`), so a typo in a deployment manifest fails fast instead of at the first request.
 */
const parsePostgresUrl: EnvParse<string> = (text) => {
  const url = text.trim();
  return ['postgres:', 'postgresql:'].includes(URL.parse(url)?.protocol ?? '') ? url : new EnvProblem('must be a postgres:// or postgresql:// URL');
};

/** `DB_READ_REPLICA_URLS`: comma-separated PostgreSQL URLs, at most 16 (each its own pool). */
const parseReplicaUrls: EnvParse<string[]> = (text) => {
  const urls = parseList(parsePostgresUrl)(text);
  return Array.isArray(urls) && urls.length > 16 ? new EnvProblem('at most 16 replicas') : urls;
};

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
const parseClaimList = parseList((value) => value, { min: 1 });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
const ISOLATION_LEVELS = ['read_committed', 'repeatable_read', 'serializable'] as const;

/**
 * The core's environment variables: each property is one variable, its initializer the default
 * (declared as `env-schema.ts` describes). Feature modules declare theirs the same way.
 */
class CoreEnv {
  @EnvText() HOST: string = '0.0.0.0';
  @EnvInteger(0, 65535) PORT: number = 8080;
  @EnvInteger(1, 64) WEB_CONCURRENCY: number = 1;
  @EnvOneOf(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @EnvVariable(parsePostgresUrl) DATABASE_URL?: string;
  @EnvVariable(parsePostgresUrl) MIGRATION_DATABASE_URL?: string;
  @EnvText() EMBEDDED_PG_DATA_DIR: string = '.data/postgres';
  @EnvInteger(1, 65535) EMBEDDED_PG_PORT: number = 54329;
  @EnvBoolean() MIGRATIONS_RUN_ON_START: boolean = true;

  @EnvInteger(1, 1000) DB_POOL_MAX: number = 10;
  @EnvInteger(100, 600_000) DB_CONNECT_TIMEOUT_MS: number = 5000;
  @EnvInteger(1, 600_000) DB_LOCK_TIMEOUT_MS: number = 2000;
  @EnvInteger(1, 3_600_000) DB_STATEMENT_TIMEOUT_MS: number = 5000;
  @EnvOneOf(ISOLATION_LEVELS) DB_ISOLATION: DatabaseIsolation = 'read_committed';
  // Hot standbys for the routes whose policy reads from a replica (docs/operations.md, "Read replicas").
  @EnvVariable(parseReplicaUrls) DB_READ_REPLICA_URLS: string[] = [];
  @EnvInteger(50, 600_000) DB_REPLICA_MAX_LAG_MS: number = 1000;

  // Defaults depend on DB_ISOLATION (RETRY_DEFAULTS): unset here.
  @EnvInteger(1, 20) DB_RETRY_MAX_ATTEMPTS?: number;
  @EnvInteger(0, 10_000) DB_RETRY_BASE_DELAY_MS: number = 10;
  @EnvInteger(0, 60_000) DB_RETRY_MAX_DELAY_MS?: number;
  @EnvInteger(0, 1_000_000) DB_RETRY_BUDGET_CAPACITY?: number;
  @EnvInteger(0, 1_000_000) DB_RETRY_BUDGET_REFILL_PER_SECOND?: number;

  // Limits of every request body, whatever the route (a module may set a lower one of its own).
  // RTIF_MAX_BODY_BYTES and RTIF_MAX_DEPTH are the names from when RTIF was the only body route:
  // still accepted as aliases (see loadConfig).
  @EnvInteger(1024, 64 * 1024 * 1024) HTTP_MAX_BODY_BYTES?: number;
  @EnvInteger(1, 1000) HTTP_MAX_JSON_DEPTH?: number;
  @EnvInteger(1024, 64 * 1024 * 1024) RTIF_MAX_BODY_BYTES?: number;
  @EnvInteger(1, 1000) RTIF_MAX_DEPTH?: number;
  @EnvInteger(-1_000_000, 1_000_000) RTIF_RETENTION_DAG_RUNS: number = 30;
  @EnvWordList() RTIF_EXTRA_SENSITIVE_FIELDS: string[] = [];

  @EnvInteger(60, 30 * 86_400) IDEMPOTENCY_KEY_TTL_SECONDS: number = 86400;
  @EnvInteger(0, 86_400) IDEMPOTENCY_PURGE_INTERVAL_SECONDS: number = 300;

  @EnvInteger(50, 60_000) HEALTH_CHECK_TIMEOUT_MS: number = 1000;
  @EnvInteger(0, 600_000) SHUTDOWN_DELAY_MS: number = 0;
  @EnvInteger(0, 3_600_000) SHUTDOWN_GRACE_MS: number = 20000;
  @EnvVariable((text) =>
    Buffer.byteLength(text) >= JWT_SECRET_MIN_BYTES
      ? text
      : new EnvProblem(`must be at least ${JWT_SECRET_MIN_BYTES} bytes (fewer cannot hold 128 random bits)`),
  )
  JWT_SECRET?: string;
  @EnvText() JWT_PRIVATE_KEY_FILE?: string;
  @EnvText() JWT_PUBLIC_KEY_FILE?: string;
  @EnvText() JWT_JWKS_FILE?: string;
  @EnvText(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -') JWT_SIGNING_KID?: string;
  @EnvVariable(parseList(parseOneOf(JWT_ALGORITHMS), { min: 1 })) JWT_ALGORITHMS?: JwtAlgorithm[];
  @EnvVariable(parseClaimList) JWT_AUDIENCE: string[] = [AIRFLOW_TASK_AUDIENCE];
  @EnvVariable(parseClaimList) JWT_ISSUER?: string[];
  @EnvInteger(0, 300) JWT_LEEWAY_SECONDS: number = 10;
  @EnvInteger(0, 1_000_000) JWT_VERIFY_CACHE_SIZE: number = 10000;
  @EnvInteger(60, 86_400) JWT_EXECUTION_TOKEN_TTL_SECONDS: number = 600;
  @EnvInteger(60, 30 * 86_400) JWT_WORKLOAD_TOKEN_TTL_SECONDS: number = 86400;
  @EnvVariable(
    parseList((origin) => (URL.canParse(origin) ? origin : new EnvProblem('must be a comma-separated list of origins such as https://ui.example.com'))),
  )
  CORS_ORIGINS: string[] = [];
}

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
    /** Read replicas (hot standbys); none: every statement goes to `url`, as before replicas existed. */
    replicas: {
      /** `DB_READ_REPLICA_URLS`: where the routes declared `reads: 'replica'` may read. */
      urls: string[];
      /**
       * `DB_REPLICA_MAX_LAG_MS`: a replica whose data may be older than this is skipped (the read
       * goes to the primary); also the bound on how stale an answer from a replica can be.
       */
      maxLagMs: number;
    };
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
  const present = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const { value: e, problems: envProblems } = validateEnv(CoreEnv, present);
  const moduleEnvs = modules.map((m) => validateEnv(m.env, present));
  const invalid = [...envProblems, ...moduleEnvs.flatMap((m) => m.problems)];
  if (invalid.length > 0) throw new ConfigError(invalid);
  const problems: string[] = [];
  const maxDelayMs = e.DB_RETRY_MAX_DELAY_MS ?? RETRY_DEFAULTS[e.DB_ISOLATION].maxDelayMs;
  if (maxDelayMs < e.DB_RETRY_BASE_DELAY_MS) problems.push('DB_RETRY_MAX_DELAY_MS: must be at least DB_RETRY_BASE_DELAY_MS');
  const maxBodyBytes = aliased('HTTP_MAX_BODY_BYTES', 'RTIF_MAX_BODY_BYTES', e.HTTP_MAX_BODY_BYTES, e.RTIF_MAX_BODY_BYTES, 1_048_576);
  const maxJsonDepth = aliased('HTTP_MAX_JSON_DEPTH', 'RTIF_MAX_DEPTH', e.HTTP_MAX_JSON_DEPTH, e.RTIF_MAX_DEPTH, 64);
  for (const v of [maxBodyBytes, maxJsonDepth]) if (typeof v === 'string') problems.push(v);
  const core = { http: { maxBodyBytes: maxBodyBytes as number } };
  const moduleSettings: Record<string, unknown> = {};
  for (const [i, m] of modules.entries()) {
    if (m.name in moduleSettings) throw new Error(`two feature modules declare settings named ${m.name}`);
    const settings = m.map(moduleEnvs[i].value, core);
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
      replicas: { urls: e.DB_READ_REPLICA_URLS, maxLagMs: e.DB_REPLICA_MAX_LAG_MS },
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
