import { Client } from 'pg';
import { loadAppConfig } from '../../src/settings';
import { runMigrations } from '../../src/database/migrate';
import { MIGRATIONS } from '../../src/migrations';
import { testDatabaseUrl } from '../support/test-database';

/** A fresh, empty database on the test server, dropped afterwards. */
async function withEmptyDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const server = new URL(testDatabaseUrl());
  const name = `tea_migrate_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

describe('migrations', () => {
  it('several replicas starting at once apply each migration exactly once', async () => {
    await withEmptyDatabase(async (url) => {
      const config = loadAppConfig({ DATABASE_URL: url });
      const results = await Promise.all(Array.from({ length: 5 }, () => runMigrations(config, url)));
      // Exactly one caller applied the migrations; the others found nothing pending.
      expect(results.filter((applied) => applied.length > 0)).toEqual([MIGRATIONS.map((m) => m.name)]);
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const rows = (await client.query('select name from mikro_orm_migrations order by id')).rows.map((r) => r.name);
        expect(rows).toEqual(MIGRATIONS.map((m) => m.name));
        const tables = (await client.query(`select table_name from information_schema.tables where table_schema = 'public' order by table_name`)).rows.map(
          (r) => r.table_name,
        );
        expect(tables).toEqual(expect.arrayContaining(['dag_run', 'task_instance', 'rendered_task_instance_fields']));
      } finally {
        await client.end();
      }
      // And a restart applies nothing.
      expect(await runMigrations(config, url)).toEqual([]);
    });
  });

  it('names every constraint the service cites', async () => {
    const client = new Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const names = (await client.query(`select conname from pg_constraint where connamespace = 'public'::regnamespace`)).rows.map((r) => r.conname);
      expect(names).toEqual(
        expect.arrayContaining([
          'dag_run_pkey',
          'task_instance_pkey',
          'task_instance_composite_key',
          'task_instance_dag_run_fkey',
          'rendered_task_instance_fields_pkey',
          'rtif_ti_fkey',
        ]),
      );
    } finally {
      await client.end();
    }
  });

  it('deletes rendered fields with their task instance, and task instances with their dag run', async () => {
    const client = new Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const dag = `cascade_${Date.now()}`;
      await client.query(`insert into dag_run (dag_id, run_id, run_after, state) values ($1, 'r', now(), 'running')`, [dag]);
      await client.query(
        `insert into task_instance (id, dag_id, run_id, task_id, try_number, max_tries, state) values (gen_random_uuid(), $1, 'r', 't', 1, 0, 'queued')`,
        [dag],
      );
      await client.query(`insert into rendered_task_instance_fields (dag_id, task_id, run_id, rendered_fields) values ($1, 't', 'r', '{}')`, [dag]);
      await client.query(`delete from task_instance where dag_id = $1`, [dag]);
      expect((await client.query(`select count(*)::int as n from rendered_task_instance_fields where dag_id = $1`, [dag])).rows[0].n).toBe(0);
      await client.query(
        `insert into task_instance (id, dag_id, run_id, task_id, try_number, max_tries, state) values (gen_random_uuid(), $1, 'r', 't', 1, 0, 'queued')`,
        [dag],
      );
      await client.query(`delete from dag_run where dag_id = $1`, [dag]);
      expect((await client.query(`select count(*)::int as n from task_instance where dag_id = $1`, [dag])).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
