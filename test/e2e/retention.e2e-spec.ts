import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';

/** Run ids whose RTIF rows remain for (dag, task), newest first by the dag run's run_after. */
async function remainingRuns(dagId: string, taskId: string): Promise<{ run_id: string; map_index: number }[]> {
  return withDirect(
    async (c) =>
      (
        await c.query(
          `select r.run_id, r.map_index from rendered_task_instance_fields r
           join dag_run d on d.dag_id = r.dag_id and d.run_id = r.run_id
          where r.dag_id = $1 and r.task_id = $2 order by d.run_after desc, r.map_index`,
          [dagId, taskId],
        )
      ).rows,
  );
}

async function writeRuns(t: TestApp, dagId: string, runs: number, mapIndexes: number[] = [-1]): Promise<void> {
  for (let i = 1; i <= runs; i++) {
    for (const mapIndex of mapIndexes) {
      const ti = await createTaskInstance(t.baseUrl, {
        dag_id: dagId,
        run_id: `run_${i}`,
        task_id: 'task',
        map_index: mapIndex,
        run_after: new Date(Date.UTC(2026, 0, i)).toISOString(),
      });
      const res = await http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { i, mapIndex });
      expect(res.status).toBe(201);
    }
  }
}

describe('RTIF retention', () => {
  describe('RTIF_RETENTION_DAG_RUNS=2', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { RTIF_RETENTION_DAG_RUNS: '2' } });
    });
    afterAll(() => t.close());

    it('keeps the rows of the 2 newest dag runs out of 5', async () => {
      const dagId = uniqueId('ret');
      await writeRuns(t, dagId, 5);
      expect(await remainingRuns(dagId, 'task')).toEqual([
        { run_id: 'run_5', map_index: -1 },
        { run_id: 'run_4', map_index: -1 },
      ]);
    });

    it('keeps or deletes the mapped rows of one run together', async () => {
      const dagId = uniqueId('ret_mapped');
      await writeRuns(t, dagId, 4, [0, 1, 2]);
      expect(await remainingRuns(dagId, 'task')).toEqual([
        { run_id: 'run_4', map_index: 0 },
        { run_id: 'run_4', map_index: 1 },
        { run_id: 'run_4', map_index: 2 },
        { run_id: 'run_3', map_index: 0 },
        { run_id: 'run_3', map_index: 1 },
        { run_id: 'run_3', map_index: 2 },
      ]);
    });

    it('leaves other tasks and other dags alone', async () => {
      const dagId = uniqueId('ret_other');
      const other = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'other', run_after: '2026-01-01T00:00:00Z' });
      expect((await http(t.baseUrl, 'PUT', `/execution/task-instances/${other.id}/rtif`, { x: 1 })).status).toBe(201);
      await writeRuns(t, dagId, 3);
      expect(await remainingRuns(dagId, 'other')).toEqual([{ run_id: 'run_1', map_index: -1 }]);
    });
  });

  describe('RTIF_RETENTION_DAG_RUNS=0', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { RTIF_RETENTION_DAG_RUNS: '0' } });
    });
    afterAll(() => t.close());

    it('keeps everything', async () => {
      const dagId = uniqueId('ret_all');
      await writeRuns(t, dagId, 5);
      expect((await remainingRuns(dagId, 'task')).map((r) => r.run_id)).toEqual(['run_5', 'run_4', 'run_3', 'run_2', 'run_1']);
    });
  });
});
