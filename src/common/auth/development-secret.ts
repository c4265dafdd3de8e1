import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The development HS256 secret, generated once next to the embedded database's data folder
 * (`.data/dev-jwt-secret` by default, mode 0600) and reused on later starts, so tokens stay valid
 * across restarts. Only for local use: `main.ts` calls it when no key is configured and
 * `DATABASE_URL` is unset.
 */
export function developmentSecret(config: AppConfig): { secret: string; file: string; created: boolean } {
  const file = join(dirname(resolve(config.database.embedded.dataDir)), 'dev-jwt-secret');
  mkdirSync(dirname(file), { recursive: true });
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
  const { secret, file, created } = developmentSecret(config);
  log(`${created ? 'generated' : 'using'} the development JWT secret in ${file} (no JWT key configured; local use only)`);
  return { ...config, auth: { ...config.auth, secret, developmentSecretFile: file } };
}

/** What `main.ts` prints to stdout (not the logger: log lines never carry tokens) in development. */
export function developmentBanner(adminToken: string, baseUrl: string): string {
  return (
    `\nDevelopment admin token (valid ${DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS / 86_400} days). Paste it into Swagger UI's Authorize dialog at ${baseUrl}/docs,\n` +
    `or send it as "Authorization: Bearer <token>" to ${baseUrl}/api/v1/...\n\n${adminToken}\n\n`
  );
}
