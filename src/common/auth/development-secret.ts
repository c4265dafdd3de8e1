import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AppConfig } from '../../config/app-config';

/** Lifetime of the admin token printed at start-up in development: long enough for a work week. */
export const DEVELOPMENT_ADMIN_TOKEN_TTL_SECONDS = 7 * 86_400;

/** Whether any key setting is present; without one the service cannot verify or sign tokens. */
export function hasConfiguredKey(auth: AppConfig['auth']): boolean {
  return [auth.secret, auth.privateKeyFile, auth.publicKeyFile, auth.jwksFile].some((v) => v !== undefined);
}

/** Why the service refuses to start without keys outside local use. */
export const NO_KEY_WITH_DATABASE_URL =
  'No JWT key is configured and DATABASE_URL is set. A generated development secret is only used with the embedded database; ' +
  'set JWT_SECRET (HS256, at least 32 characters) or JWT_PRIVATE_KEY_FILE (RS256/ES256), see docs/security.md.';

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

/** The config with the development secret as `JWT_SECRET`. */
export function withDevelopmentSecret(config: AppConfig, secret: string, file: string): AppConfig {
  return { ...config, auth: { ...config.auth, secret, developmentSecretFile: file } };
}
