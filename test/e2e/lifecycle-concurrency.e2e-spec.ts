import { startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { GONE_DETAIL, liveRow, lifecycle, problem, requeue, runBody, tiRow, WORKER } from './lifecycle.helpers';

const END = '2026-11-25T10:05:00.000Z';
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('lifecycle under concurrency (real requests, real PostgreSQL)', () => {
  let t: TestApp;
  let api: ReturnType<typeof lifecycle>;
  beforeAll(async () => {
    // As many connections as the busiest test sends at once, so requests really meet in the database.
    t = await startTestApp({ env: { DB_POOL_MAX: '20' } });
    api = lifecycle(t.baseUrl);
  });
  afterAll(() => t.close());

  it('50 concurrent starts with different pids: exactly one 200 and 49 × 409 invalid_state (previous_state running)', async () => {
    const ti = await api.newTi();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => api.run(ti.id, runBody({ pid: 1000 + i }))));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 200)).toBe(1);
    expect(count(statuses, 409)).toBe(49);
    const winner = statuses.indexOf(200);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body).toEqual(
        problem(409, 'invalid_state', 'TI was not in a state where it could be marked as running', api.path(ti.id, 'run'), { previous_state: 'running' }),
      );
    }
    expect(await tiRow(ti.id)).toMatchObject({ state: 'running', pid: 1000 + winner });
  });

  it('50 concurrent identical starts (a client retrying): all 200 with the same body', async () => {
    const ti = await api.newTi({ max_tries: 1 });
    const results = await Promise.all(Array.from({ length: 50 }, () => api.run(ti.id)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const r of results) expect(r.body).toEqual(results[0].body);
    expect(await tiRow(ti.id)).toMatchObject({ state: 'running', pid: WORKER.pid });
  });

  it('40 heartbeats and 10 RTIF writes racing a success: the final state stays success, heartbeats are 204 or 409 not_running, RTIF always 201', async () => {
    for (let round = 0; round < 3; round++) {
      const ti = await api.running();
      const heartbeats = Array.from({ length: 40 }, () => api.heartbeat(ti.id));
      const rtif = Array.from({ length: 10 }, (_, i) => api.rtif(ti.id, { writer: i }));
      const success = api.state(ti.id, { state: 'success', end_date: END });
      const [hb, rt, done] = await Promise.all([Promise.all(heartbeats), Promise.all(rtif), success]);
      expect(done.status).toBe(204);
      expect(rt.map((r) => r.status)).toEqual(Array(10).fill(201));
      for (const r of hb) {
        if (r.status === 204) continue;
        expect(r.status).toBe(409);
        expect(r.body).toEqual(
          problem(409, 'not_running', 'TI is no longer in the running state and task should terminate', api.path(ti.id, 'heartbeat'), {
            current_state: 'success',
          }),
        );
      }
      const row = await tiRow(ti.id);
      expect(row!.state).toBe('success');
      expect(row!.end_date.toISOString()).toBe(END);
      // Heartbeats after the success are refused, never applied.
      const late = await api.heartbeat(ti.id);
      expect(late.status).toBe(409);
      expect((await tiRow(ti.id))!.last_heartbeat_at).toEqual(row!.last_heartbeat_at);
    }
  });

  it('20 concurrent, conflicting state updates: one 204; the same state 200, another 409 invalid_state naming the winner', async () => {
    const ti = await api.running();
    const targets = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'success' : 'failed'));
    const results = await Promise.all(targets.map((state) => api.state(ti.id, { state, end_date: END })));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 204)).toBe(1);
    const final = (await tiRow(ti.id))!.state as string;
    expect(final).toBe(targets[statuses.indexOf(204)]);
    results.forEach((r, i) => {
      if (r.status === 204) return;
      if (targets[i] === final) {
        expect(r.status).toBe(200);
        expect(r.text).toBe('');
      } else {
        expect(r.status).toBe(409);
        expect(r.body).toEqual(
          problem(409, 'invalid_state', 'TI was not in the running state so it cannot be updated', api.path(ti.id, 'state'), { previous_state: final }),
        );
      }
    });
  });

  it('20 concurrent up_for_retry with RTIF writes from the same try: one archive, the rest 410; late writes never reach the next try', async () => {
    const ti = await api.running({ max_tries: 3 });
    const retries = Array.from({ length: 20 }, () => api.state(ti.id, { state: 'up_for_retry', end_date: END }));
    const writes = Array.from({ length: 20 }, (_, i) => api.rtif(ti.id, { try: 1, writer: i }));
    const [r, w] = await Promise.all([Promise.all(retries), Promise.all(writes)]);
    const statuses = r.map((x) => x.status);
    expect(count(statuses, 204)).toBe(1);
    expect(count(statuses, 410)).toBe(19);
    for (const x of w) expect([201, 410]).toContain(x.status);
    const history = await withDirect(
      async (c) => (await c.query('select task_instance_id, try_number from task_instance_history where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(history).toEqual([{ task_instance_id: ti.id, try_number: 1 }]);
    const live = await liveRow(ti);
    expect(live).toMatchObject({ state: 'up_for_retry', try_number: 2 });

    await requeue(live.id);
    expect((await api.run(live.id, runBody({ pid: 2 }))).status).toBe(200);
    const [fresh, stale] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => api.rtif(live.id, { try: 2, writer: i }))),
      Promise.all(Array.from({ length: 20 }, (_, i) => api.rtif(ti.id, { try: 1, late: i }))),
    ]);
    expect(fresh.map((x) => x.status)).toEqual(Array(10).fill(201));
    for (const x of stale) {
      expect(x.status).toBe(410);
      expect(x.body.detail).toBe(GONE_DETAIL);
    }
    const stored = await withDirect(
      async (c) => (await c.query('select rendered_fields from rendered_task_instance_fields where dag_id = $1', [ti.dag_id])).rows,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0].rendered_fields).toMatchObject({ try: 2 });
  });

  it('20 concurrent deferrals: one 204 and 19 × 200, exactly one trigger row', async () => {
    const ti = await api.running();
    const classpath = `tests.triggers.${uniqueId('Wait')}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => api.state(ti.id, { state: 'deferred', classpath, next_method: 'resume' })));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 204)).toBe(1);
    expect(count(statuses, 200)).toBe(19);
    const triggers = await withDirect(async (c) => (await c.query('select id from "trigger" where classpath = $1', [classpath])).rows);
    expect(triggers).toHaveLength(1);
    expect((await tiRow(ti.id))!.trigger_id).toBe(triggers[0].id);
  });

  it('30 concurrent skip-downstream calls over overlapping task lists in different orders: all 204, each listed task skipped once', async () => {
    const dagId = uniqueId('skipc');
    const branch = await api.running({ dag_id: dagId, task_id: 'branch' });
    const tasks = Array.from({ length: 15 }, (_, i) => `t${i}`);
    for (const task_id of tasks) await api.newTi({ dag_id: dagId, task_id, state: 'scheduled' });
    const lists = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? tasks : [...tasks].reverse()));
    const results = await Promise.all(lists.map((l) => api.skip(branch.id, { tasks: l })));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(204));
    const states = await withDirect(
      async (c) => (await c.query(`select distinct state from task_instance where dag_id = $1 and task_id <> 'branch'`, [dagId])).rows,
    );
    expect(states).toEqual([{ state: 'skipped' }]);
  });
});
