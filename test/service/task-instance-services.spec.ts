import { DomainError } from '../../src/common/problem/domain-error';
import { UnitOfWorkRunner } from '../../src/common/unit-of-work/unit-of-work.runner';
import type { TIStateUpdate } from '../../src/task-instances/lifecycle/dto/state-update.dto';
import { LifecycleService } from '../../src/task-instances/lifecycle/lifecycle.service';
import { RtifService } from '../../src/task-instances/rtif/rtif.service';
import { insertDagRun, insertRtif, insertTaskInstance } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

/**
 * Service-level tier: the services of the real application (its DI container, its unit of work)
 * against real PostgreSQL, with rows made by factories in the state a test needs. For logic the
 * HTTP tests reach only through many requests (create → token → run → …); no HTTP here.
 */
describe('task-instance services (service tier, real PostgreSQL)', () => {
  let t: TestApp;
  let runner: UnitOfWorkRunner;
  const RETENTION = 2;
  beforeAll(async () => {
    t = await startTestApp({ env: { RTIF_RETENTION_DAG_RUNS: String(RETENTION) } });
    runner = t.app.get(UnitOfWorkRunner);
  });
  afterAll(() => t.close());

  /** Runs `work` in a unit of work as a route with `@UnitOfWork({ idempotent: true })` would. */
  const inUnitOfWork = <T>(work: () => Promise<T>) => runner.run({ idempotent: true }, 'service-test', work);
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  describe('LifecycleService.updateState', () => {
    const lifecycle = () => t.app.get(LifecycleService);

    it('finishes a running task instance: state, end date and duration in one update; the same state again is unchanged', async () => {
      const ti = await withDirect(async (c) => insertTaskInstance(c, await insertDagRun(c), { state: 'running' }));
      const payload = { state: 'success', end_date: new Date(Date.now() + 5000).toISOString() } as TIStateUpdate;
      expect(await inUnitOfWork(() => lifecycle().updateState(ti.id, payload))).toBe('updated');
      const row = await withDirect(async (c) => (await c.query('select state, end_date, duration from task_instance where id = $1', [ti.id])).rows[0]);
      expect(row.state).toBe('success');
      expect(row.end_date).toBeInstanceOf(Date);
      expect(row.duration).toBeGreaterThan(0);
      expect(await inUnitOfWork(() => lifecycle().updateState(ti.id, payload))).toBe('unchanged');
    });

    it.each(['queued', 'scheduled', 'success'] as const)('refuses to finish a task instance that is %s (invalid_state), changing nothing', async (state) => {
      const ti = await withDirect(async (c) => insertTaskInstance(c, await insertDagRun(c), { state }));
      const error = await errorOf(inUnitOfWork(() => lifecycle().updateState(ti.id, { state: 'failed', end_date: new Date().toISOString() } as TIStateUpdate)));
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'invalid_state', extensions: { previous_state: state } });
      expect(await withDirect(async (c) => (await c.query('select state from task_instance where id = $1', [ti.id])).rows[0].state)).toBe(state);
    });

    it('archives the try on up_for_retry: the old id is then 410 (moved to history), the key lives on under a new id', async () => {
      const run = await withDirect((c) => insertDagRun(c));
      const ti = await withDirect((c) => insertTaskInstance(c, run, { state: 'running', max_tries: 2 }));
      await inUnitOfWork(() => lifecycle().updateState(ti.id, { state: 'up_for_retry', end_date: new Date().toISOString() } as TIStateUpdate));
      const history = await withDirect(async (c) => (await c.query('select state from task_instance_history where task_instance_id = $1', [ti.id])).rows);
      expect(history).toEqual([{ state: 'up_for_retry' }]);
      const live = await withDirect(
        async (c) =>
          (await c.query('select id from task_instance where dag_id = $1 and run_id = $2 and task_id = $3', [ti.dag_id, ti.run_id, ti.task_id])).rows,
      );
      expect(live).toHaveLength(1);
      expect(live[0].id).not.toBe(ti.id);
      const error = await errorOf(inUnitOfWork(() => lifecycle().heartbeat(ti.id, { hostname: 'worker-1', pid: 4242 })));
      expect(error).toMatchObject({ code: 'moved_to_history', reason: 'not_found' });
    });
  });

  describe('RtifService.write retention', () => {
    it(`keeps the rows of the ${RETENTION} newest dag runs of the dag for the task when a write creates a row`, async () => {
      const dagId = `retention_${Date.now()}`;
      const taskId = 'render';
      const base = Date.now() - 10 * 86_400_000;
      const runs = await withDirect(async (c) => {
        const made = [];
        for (let day = 0; day < 4; day++) {
          const run = await insertDagRun(c, { dag_id: dagId, run_id: `run_${day}`, run_after: new Date(base + day * 86_400_000) });
          const ti = await insertTaskInstance(c, run, { task_id: taskId, state: 'running' });
          if (day < 3) await insertRtif(c, ti);
          made.push(ti);
        }
        return made;
      });
      // The newest run's first write creates its row, then applies retention.
      await inUnitOfWork(() => t.app.get(RtifService).write(runs[3].id, { newest: true }));
      const kept = await withDirect(
        async (c) =>
          (await c.query('select run_id from rendered_task_instance_fields where dag_id = $1 and task_id = $2 order by run_id', [dagId, taskId])).rows,
      );
      expect(kept.map((r) => r.run_id)).toEqual(['run_2', 'run_3']);
    });

    it('applies no retention on an overwrite (the row existed): older rows stay until the next first write', async () => {
      const dagId = `retention_${Date.now()}_ow`;
      const base = Date.now() - 10 * 86_400_000;
      const runs = await withDirect(async (c) => {
        const made = [];
        for (let day = 0; day < 4; day++) {
          const run = await insertDagRun(c, { dag_id: dagId, run_id: `run_${day}`, run_after: new Date(base + day * 86_400_000) });
          const ti = await insertTaskInstance(c, run, { task_id: 'render', state: 'running' });
          await insertRtif(c, ti);
          made.push(ti);
        }
        return made;
      });
      await inUnitOfWork(() => t.app.get(RtifService).write(runs[3].id, { overwritten: true }));
      const count = await withDirect(
        async (c) => (await c.query('select count(*)::int as n from rendered_task_instance_fields where dag_id = $1', [dagId])).rows[0].n,
      );
      expect(count).toBe(4);
    });
  });
});
