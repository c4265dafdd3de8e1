import { randomUUID } from 'node:crypto';
import { http, startTestApp, type TestApp } from '../support/test-app';
import { connectDirect, withDirect } from '../support/test-database';
import { GONE_DETAIL, liveRow, lifecycle, problem, requeue, runBody } from './lifecycle.helpers';

const END = '2026-11-25T10:05:00Z';

async function storedRtif(dagId: string): Promise<unknown[]> {
  return withDirect(async (c) =>
    (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [dagId])).rows.map((r) => r.rendered_fields),
  );
}

describe('archived tries: 410 on every execution route', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    t = await startTestApp();
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  /** A task instance whose first try ended up_for_retry: returns the archived id and the live one. */
  async function retried() {
    const ti = await api.running({ max_tries: 2 });
    expect((await api.state(ti.id, { state: 'up_for_retry', end_date: END })).status).toBe(204);
    return { ti, oldId: ti.id, newId: (await liveRow(ti)).id as string };
  }

  const routes: [string, (id: string) => Promise<{ status: number; body: any }>, string][] = [
    ['PATCH run', (id) => api.run(id), 'run'],
    ['PATCH state', (id) => api.state(id, { state: 'success', end_date: END }), 'state'],
    ['PUT heartbeat', (id) => api.heartbeat(id), 'heartbeat'],
    ['PATCH skip-downstream', (id) => api.skip(id, { tasks: ['a'] }), 'skip-downstream'],
    ['GET previous-successful-dagrun', (id) => api.previous(id), 'previous-successful-dagrun'],
    ['PUT rtif', (id) => api.rtif(id, { late: true }), 'rtif'],
  ];

  it.each(routes)('%s with the archived id: 410 not_found "moved to history", whole body', async (_name, call, route) => {
    const { oldId } = await retried();
    const res = await call(oldId);
    expect(res.status).toBe(410);
    expect(res.body).toEqual(problem(410, 'not_found', GONE_DETAIL, api.path(oldId, route), { task_instance_id: oldId }));
  });

  it.each(routes)('%s with an id that never existed: 404, not 410', async (_name, call, route) => {
    const id = randomUUID();
    const res = await call(id);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(problem(404, 'not_found', `Task instance ${id} not found.`, api.path(id, route), { task_instance_id: id }));
  });

  it('the new try runs under its new id and finishes; the old id stays 410', async () => {
    const { ti, oldId, newId } = await retried();
    await requeue(newId);
    const run = await api.run(newId, runBody({ pid: 777 }));
    expect(run.status).toBe(200);
    expect(run.body.should_retry).toBe(true);
    expect((await api.heartbeat(newId, { hostname: 'worker-1', pid: 777 })).status).toBe(204);
    expect((await api.state(newId, { state: 'success', end_date: END })).status).toBe(204);
    expect((await api.heartbeat(oldId)).status).toBe(410);
    expect(await liveRow(ti)).toMatchObject({ id: newId, state: 'success', try_number: 2, pid: 777 });
  });

  it('a late RTIF write from the archived try answers 410 and does not land on the new try', async () => {
    const { ti, oldId, newId } = await retried();
    await requeue(newId);
    await api.run(newId);
    expect((await api.rtif(newId, { try: 2 })).status).toBe(201);
    const late = await api.rtif(oldId, { try: 1, late: true });
    expect(late.status).toBe(410);
    expect(await storedRtif(ti.dag_id)).toEqual([{ try: 2 }]);
  });

  it('an RTIF write arriving while the try is being archived waits for the archive, then answers 410 and writes nothing', async () => {
    const ti = await api.running();
    expect((await api.rtif(ti.id, { try: 1 })).status).toBe(201);
    const newId = randomUUID();
    const archiver = await connectDirect();
    const watcher = await connectDirect();
    try {
      // What the service's archive does, held open: copy to history, then re-key the live row.
      await archiver.query('begin');
      await archiver.query(
        `insert into task_instance_history (task_instance_id, dag_id, run_id, task_id, map_index, try_number, max_tries, state)
         select id, dag_id, run_id, task_id, map_index, try_number, max_tries, 'up_for_retry' from task_instance where id = $1`,
        [ti.id],
      );
      await archiver.query(`update task_instance set id = $2, try_number = try_number + 1, state = 'up_for_retry' where id = $1`, [ti.id, newId]);

      let settled = false;
      const late = api.rtif(ti.id, { try: 1, late: true }).finally(() => (settled = true));
      // Bounded wait until the write is blocked on the row lock (without the lock it would not wait
      // and would answer 201, having written onto the row the next try reads).
      let waiting = 0;
      for (let i = 0; i < 400 && waiting === 0 && !settled; i++) {
        await new Promise((r) => setTimeout(r, 10));
        waiting = (await watcher.query(`select count(*)::int n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0]
          .n;
      }
      await archiver.query('commit');

      const res = await late;
      expect(res.status).toBe(410);
      expect(res.body.detail).toBe(GONE_DETAIL);
      expect(await storedRtif(ti.dag_id)).toEqual([{ try: 1 }]);
      expect(waiting).toBe(1);
    } finally {
      await archiver.query('rollback').catch(() => undefined);
      await archiver.end();
      await watcher.end();
    }
  });

  it('the control plane still answers 404 for the archived id (it reads live rows only)', async () => {
    const { oldId } = await retried();
    const res = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${oldId}`);
    expect(res.status).toBe(404);
  });
});
