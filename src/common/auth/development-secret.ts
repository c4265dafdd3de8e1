import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type AppConfig } from '../../config/app-config';

/** Lifetime of the admin token printed at start-up in development: long enough for a work week. */
export const DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS = 7 * 86_400;

/** Whether any key setting is present; without one the service cannot verify or sign tokens. */
export function hasConfiguredKey(auth: AppConfig['auth']): boolean {
  return [auth.secret, auth.privateKeyFile, auth.publicKeyFile, auth.jwksFile].some((v) => v !== undefined);
}

/** Why the service refuses to start without keys outside local use. */
export const NO_KEY_WITH_DATABASE_URL =
  'JWT_SECRET, JWT_PRIVATE_KEY_FILE or JWT_JWKS_FILE: required when DATABASE_URL is set (a development secret is generated only for the embedded database; see docs/security.md)';

/** Where the development secret lives: in the embedded database's data folder, with its data. */
export function developmentSecretFile(config: AppConfig): string {
  return join(resolve(config.database.embedded.dataDir), 'dev-jwt-secret');
}

/**
 * The development HS256 secret, generated once in the embedded database's data folder
 * (`.data/postgres/dev-jwt-secret` by default, mode 0600; the embedded database keeps it across
 * initdb and a move aside) and reused on later starts, so tokens stay valid across restarts. A
 * secret from before it moved there (beside the folder) is moved in, so its tokens stay valid.
 * Only for local use: `main.ts` calls it when no key is configured and `DATABASE_URL` is unset.
 */
export function developmentSecret(config: AppConfig, log: (line: string) => void = () => undefined): { secret: string; file: string; created: boolean } {
  const file = developmentSecretFile(config);
  const previous = join(dirname(resolve(config.database.embedded.dataDir)), 'dev-jwt-secret');
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file) && existsSync(previous)) {
    renameSync(previous, file);
    log(`moved the development JWT secret from ${previous} into the data folder: ${file}`);
  }
  try {
    const secret = randomBytes(32).toString('base64url');
    // `wx`: two processes starting at once never overwrite each other's secret.
    writeFileSync(file, `${secret}\n`, { flag: 'wx', mode: 0o600 });
    return { secret, file, created: true };
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds a development secret shorter than 32 characters: delete it to generate a new one`);
  return { secret, file, created: false };
}

/**
 * The auth settings `main.ts` starts with: the configured keys as they are; without any, the
 * development secret when the embedded database is in use, and a `ConfigError` (the process
 * refuses to start) when `DATABASE_URL` is set.
 */
export function resolveAuthConfig(config: AppConfig, log: (line: string) => void): AppConfig {
  if (hasConfiguredKey(config.auth)) return config;
  if (config.database.url) throw new ConfigError([NO_KEY_WITH_DATABASE_URL]);
  const { secret, file, created } = developmentSecret(config, log);
  log(`${created ? 'generated' : 'using'} the development JWT secret in ${file} (no JWT key configured; local use only)`);
  return { ...config, auth: { ...config.auth, secret, developmentSecretFile: file } };
}

/**
 * What `main.ts` prints to stdout (not the logger: log lines never carry tokens) in development: a
 * framed block, so the token stands out from the JSON log lines around it.
 */
export function developmentBanner(adminToken: string, baseUrl: string): string {
  const title = ` Development admin token (valid ${DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS / 86_400} days) `;
  // The token sits alone on its line, so a triple-click copies exactly it.
  return [
    '',
    `${'═'.repeat(8)}${title}${'═'.repeat(Math.max(8, 100 - title.length))}`,
    adminToken,
    `Swagger UI: ${baseUrl}/docs → Authorize → paste it. curl: -H "Authorization: Bearer <token>" ${baseUrl}/api/v1/...`,
    'Another one, any time (the service keeps running): npm run token -- admin <your-name> [ttl_seconds]',
    '═'.repeat(108),
    '',
    '',
  ].join('\n');
}
