import { MikroORM } from '@mikro-orm/postgresql';
import { createServer, type Server, type Socket } from 'node:net';
import { classifyDbError } from '../../src/common/unit-of-work/sqlstate';
import { translateDbError } from '../../src/common/unit-of-work/db-error.translate';
import { loadAppConfig } from '../../src/settings';
import { buildOrmOptions } from '../../src/database/orm-options';

/**
 * The pool's two timeouts must not be confused: a database that never answers a connection
 * attempt is an outage (503 database_unavailable), a pool whose connections are all busy is
 * overload (503 pool_exhausted, covered end to end in rtif-write-path.e2e-spec.ts). Waiting for a
 * pooled connection is allowed longer than connecting, so the connect timeout always fires first.
 */
describe('pool timeouts', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a host that is up but whose PostgreSQL hangs.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('a database that never answers the connection is database_unavailable (its connect timeout), not pool_exhausted and not a 500', async () => {
    const port = (silent.address() as { port: number }).port;
    const url = `postgres://nobody@127.0.0.1:${port}/nothing`;
    const config = loadAppConfig({
      DATABASE_URL: url,
      JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
      DB_CONNECT_TIMEOUT_MS: '300',
      LOG_LEVEL: 'error',
    });
    const orm = await MikroORM.init(buildOrmOptions(config, url));
    try {
      const error = await orm.em
        .fork()
        .execute('select 1')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const failure = classifyDbError(error);
      expect(failure?.kind).toBe('unavailable');
      expect(translateDbError(failure!)).toMatchObject({ code: 'database_unavailable', reason: 'database_unavailable', retryAfterSeconds: 5 });
    } finally {
      await orm.close(true);
    }
  });
});
