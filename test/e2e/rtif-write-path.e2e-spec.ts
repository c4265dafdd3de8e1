import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

/**
 * The statements one RTIF write sends, as the driver sees them (knex's `query` event fires once
 * per statement sent to PostgreSQL, BEGIN and COMMIT included). Statements are reduced to their
 * first words so that the assertions name the shape, not the formatting.
 */
function recordStatements(t: TestApp): { take(): string[] } {
  const knex = (t.app.get(MikroORM).em as EntityManager).getKnex();
  let seen: string[] = [];
  knex.on('query', (q: { sql: string }) => {
    seen.push(q.sql.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ').toLowerCase());
  });
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

describe('RTIF write path', () => {
  let t: TestApp;
  let statements: { take(): string[] };
  beforeAll(async () => {
    t = await startTestApp({ env: { RTIF_RETENTION_DAG_RUNS: '2' } });
    statements = recordStatements(t);
  });
  afterAll(() => t.close());

  it('sends begin, lock_timeout, one insert…select and commit for an overwrite; a first write adds the retention delete', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('path'), run_id: 'r1', task_id: 't' });
    statements.take();

    expect((await http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 1 })).status).toBe(201);
    expect(statements.take()).toEqual([
      'begin transaction isolation',
      'set local lock_timeout',
      'insert into rendered_task_instance_fields',
      'delete from rendered_task_instance_fields',
      'commit;',
    ]);

    expect((await http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { v: 2 })).status).toBe(201);
    expect(statements.take()).toEqual([
      'begin transaction isolation',
      'set local lock_timeout',
      'insert into rendered_task_instance_fields',
      'commit;',
    ]);
  });

  it('answers 404 for an unknown id after the one write statement found no task instance, and rolls back', async () => {
    const id = '0193a1b2-0000-7000-8000-000000000abc';
    statements.take();
    const res = await http(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { v: 1 });
    expect(res.status).toBe(404);
    expect(res.body.reason).toBe('not_found');
    expect(statements.take()).toEqual(['begin transaction isolation', 'set local lock_timeout', 'insert into rendered_task_instance_fields', 'rollback']);
  });

  it('applies retention at the next write that creates a row, not at an overwrite', async () => {
    const dagId = uniqueId('path_ret');
    const ti = async (run: number) =>
      createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: `run_${run}`, task_id: 'task', run_after: new Date(Date.UTC(2026, 0, run)).toISOString() });
    const put = async (id: string, v: number) => expect((await http(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { v })).status).toBe(201);
    const runs = async () =>
      withDirect(async (c) =>
        (await c.query('select run_id from rendered_task_instance_fields where dag_id = $1 order by run_id', [dagId])).rows.map((r) => r.run_id as string),
      );

    const r1 = await ti(1);
    const r2 = await ti(2);
    await put(r1.id, 1);
    await put(r2.id, 1);
    const r3 = await ti(3);
    // run_1 is no longer among the 2 newest runs, but an overwrite adds no row: nothing to trim yet.
    await put(r2.id, 2);
    expect(await runs()).toEqual(['run_1', 'run_2']);
    // The first write of the new run creates a row and trims the run that fell out.
    await put(r3.id, 1);
    expect(await runs()).toEqual(['run_2', 'run_3']);
    // A late first write for a run older than the newest 2 is trimmed by its own retention delete.
    await put(r1.id, 2);
    expect(await runs()).toEqual(['run_2', 'run_3']);
  });
});
