import { StartupError, errorCodeOf } from '../common/startup/startup-error';

/** The parts of a connection URL a person needs to find the server, never its password. */
export function describeUrl(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
    return {
      host,
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || 'postgres',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/**
 * Turns the failure of the first connection to `url` into a `StartupError` naming the server,
 * the database and the fix, for the failures a newcomer meets (wrong database, password, host or
 * port, nothing listening). `variable` is the setting the URL came from. Other errors: undefined
 * (the caller reports them as they are). Only the SQLSTATE or errno is read, never the message:
 * a driver message may carry SQL.
 */
export function explainConnectionError(error: unknown, url: string, variable: string, connectTimeoutMs: number): StartupError | undefined {
  const { host, port, database, user } = describeUrl(url);
  const at = `${host}:${port}`;
  const where = `${variable} → ${user}@${at}/${database}`;
  const code = errorCodeOf(error);
  const explain = (what: string, fix: string) => new StartupError(what, where, fix, { cause: error });
  switch (code) {
    case '3D000':
      return explain(
        `database "${database}" does not exist`,
        `create it (createdb -h ${host} -p ${port} -U ${user} ${database}) or put an existing database's name in ${variable}`,
      );
    case '28P01':
      return explain(`PostgreSQL refused the password of user "${user}"`, `fix the user name or password in ${variable}`);
    case '28000':
      return explain(
        `PostgreSQL refused user "${user}" (no such role, or no pg_hba.conf entry for this host, user and database)`,
        `fix the user in ${variable}, or allow it in the server's pg_hba.conf`,
      );
    case '3F000':
    case '42501':
      return explain(`user "${user}" may not use database "${database}"`, `grant it CONNECT and CREATE on the database, or use another user in ${variable}`);
    case 'ECONNREFUSED':
      return explain(
        'nothing accepts connections there',
        `start PostgreSQL there, or fix the host and port in ${variable} (unset DATABASE_URL to use the embedded PostgreSQL)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return explain(`the host name "${host}" does not resolve`, `fix the host in ${variable}`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return explain('no route to the server, or no answer', `check the host and port in ${variable} and that a firewall lets this machine reach it`);
    case '57P03':
      return explain('PostgreSQL is starting up or shutting down', 'start again in a moment');
    case '53300':
      return explain('PostgreSQL has no free connection slots', `raise its max_connections, or lower DB_POOL_MAX (and WEB_CONCURRENCY)`);
    default:
      if (code === undefined && error instanceof Error && /timeout/i.test(error.message)) {
        return explain(
          `no answer within DB_CONNECT_TIMEOUT_MS (${connectTimeoutMs} ms)`,
          `check the host and port in ${variable}, or raise DB_CONNECT_TIMEOUT_MS`,
        );
      }
      return undefined;
  }
}
