import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_PG_MAJOR, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from '../support/postgres-process';

/**
 * `npm start` keeps its embedded PostgreSQL's data between runs. When the embedded major version
 * changes (17 → 18 with the platform upgrade), the old folder cannot be opened: it is moved aside,
 * named, and a new one is started, instead of a start-up failure.
 */
describe('embedded PostgreSQL data folder', () => {
  const root = resolve('.data/test-embedded-version');
  beforeAll(() => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('moves a folder made by another major version aside, keeps its files, and starts a new server of the embedded major', async () => {
    const dataDir = join(root, 'postgres');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    writeFileSync(join(dataDir, 'marker'), 'old data');
    const logs: string[] = [];
    const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'version_check', log: (l) => logs.push(l) });
    try {
      const aside = readdirSync(root).filter((n) => n.startsWith('postgres.pg17-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(root, aside[0], 'marker'), 'utf8')).toBe('old data');
      expect(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim()).toBe(String(EMBEDDED_PG_MAJOR));
      expect(logs.some((l) => l.includes('was made by PostgreSQL 17') && l.includes(aside[0]))).toBe(true);
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
        expect(Math.floor(Number(rows[0].v) / 10_000)).toBe(EMBEDDED_PG_MAJOR);
      } finally {
        await client.end();
      }
    } finally {
      await pg.stop();
    }
    expect(existsSync(join(dataDir, 'marker'))).toBe(false);
  });
});
