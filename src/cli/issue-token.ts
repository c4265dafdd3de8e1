import 'reflect-metadata';
import { resolveAuthConfig } from '../common/auth/development-secret';
import { KeyStore } from '../common/auth/key-store';
import { TOKEN_SCOPES, type TokenScope } from '../common/auth/token-claims';
import { TokenIssuer } from '../common/auth/token-issuer';
import { ConfigError } from '../config/app-config';
import { loadAppConfig } from '../settings';

const USAGE = 'usage: npm run token -- <admin|workload|execution> <sub> [ttl_seconds]\n  sub: the holder (admin) or the task instance id';

/**
 * Signs a token with the configured key, offline (no database): an admin token for an operator
 * or a scheduler, or a task-instance token for a test. Same settings as the service; with no key
 * and no DATABASE_URL, the development secret.
 */
export async function issueToken(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [scope, sub, ttl] = argv;
  if (!TOKEN_SCOPES.includes(scope as TokenScope) || !sub) throw new Error(USAGE);
  const config = resolveAuthConfig(loadAppConfig(env), () => undefined);
  const ttlSeconds =
    ttl !== undefined
      ? Number(ttl)
      : scope === 'admin'
        ? 3600
        : scope === 'workload'
          ? config.auth.workloadTokenTtlSeconds
          : config.auth.executionTokenTtlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 366 * 86_400)
    throw new Error(`ttl_seconds must be an integer from 1 to ${366 * 86_400}\n${USAGE}`);
  const issuer = new TokenIssuer(await KeyStore.load(config.auth), config);
  return (await issuer.issue(sub, scope as TokenScope, ttlSeconds)).token;
}

if (require.main === module) {
  issueToken(process.argv.slice(2))
    .then((token) => process.stdout.write(`${token}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    });
}
