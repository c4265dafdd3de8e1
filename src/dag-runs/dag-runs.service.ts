import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { stringifyExactJson } from '../common/json/exact-json';
import { archiveTry } from '../task-instances/archive-try';
import { DagRunContext } from './dag-run-context.dto';
import type { DagRunState } from '../task-instances/task-instance-state';
import { DagRun } from './dag-run.entity';
import { dagImportErrors, dagNotFound, dagRunAlreadyExists, dagRunNotFound, dagRunToClearNotFound } from './dag-runs.problems';
import type { DagRunCountQuery } from './dto/dag-run-queries.dto';
import type { TriggerDAGRunPayload } from './dto/dag-run-payloads.dto';

/** The task-instance states `clear` with `only_failed` resets (Airflow's `dag.clear(only_failed=True)`). */
const FAILED_STATES = ['failed', 'upstream_failed'];

/** A list parameter as one jsonb value: the statement text stays the same whatever the list holds. */
const jsonList = (values: readonly string[]): string => JSON.stringify(values);

/**
 * Airflow's dag-run routes of the execution API (`routes/dag_runs.py`): what `TriggerDagRunOperator`,
 * `ExternalTaskSensor` and a task's `get_dagrun_state` / `get_previous_dagrun` ask. Every method
 * runs in the route's unit of work.
 *
 * A dag is **known** when the control plane registered it (`PUT /api/v1/dags/{dag_id}`, a row in
 * `dag`) or when it has any dag run (the control plane's task-instance create makes runs of dags
 * it never registered; refusing to trigger those would make the dag table mandatory for every
 * existing caller). Only a registered dag can carry `has_import_errors`.
 */
@Injectable()
export class DagRunsService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Creates the run, queued, as Airflow's `trigger_dag` does for an operator: run type
   * `operator_triggered`, and the triggering user of the run of the task that asks. One
   * `INSERT … ON CONFLICT DO NOTHING`: a second trigger of the run id (sequential or concurrent)
   * finds the row and is the 409 `already_exists` Airflow answers, never a retried unique violation.
   */
  async trigger(callerTaskInstanceId: string, dagId: string, runId: string, payload: TriggerDAGRunPayload): Promise<void> {
    await this.assertDagTriggerable(dagId);
    const inserted = await this.em.execute<{ run_id: string }[]>(
      `insert into dag_run (dag_id, run_id, logical_date, run_after, state, run_type, conf, clear_number, triggering_user_name, partition_key, note)
       values (?, ?, ?, ?, 'queued', 'operator_triggered', ?::jsonb, 0,
               (select dr.triggering_user_name from dag_run dr
                  where (dr.dag_id, dr.run_id) in (select dag_id, run_id from task_instance where id = ?
                                                   union all select dag_id, run_id from task_instance_history where task_instance_id = ?)
                  limit 1),
               ?, ?)
       on conflict (dag_id, run_id) do nothing
       returning run_id`,
      [
        dagId,
        runId,
        payload.logical_date ? new Date(payload.logical_date) : null,
        payload.run_after ? new Date(payload.run_after) : new Date(),
        stringifyExactJson(payload.conf ?? {}),
        callerTaskInstanceId,
        callerTaskInstanceId,
        payload.partition_key ?? null,
        payload.note ?? null,
      ],
    );
    if (inserted.length === 0) throw dagRunAlreadyExists(dagId, runId);
  }

  /**
   * Airflow's `dag.clear(run_id=…, only_failed=…)`: the run goes back to queued (a new clear
   * number, no start or end date); each task instance cleared goes back to no state for a new try
   * (the old try archived to the history, as Airflow's `prepare_db_for_next_try`), except a
   * running one, which becomes `restarting` so its heartbeat learns it must stop. The run's row
   * lock serialises clears of one run; the task instances are locked before they change.
   */
  async clear(dagId: string, runId: string, onlyFailed: boolean): Promise<void> {
    await this.assertDagTriggerable(dagId);
    const run = await this.em.execute<{ run_id: string }[]>('select run_id from dag_run where dag_id = ? and run_id = ? for update', [dagId, runId]);
    if (run.length === 0) throw dagRunToClearNotFound(runId);
    const tis = await this.em.execute<{ id: string; state: string }[]>(
      `select id, state from task_instance where dag_id = ? and run_id = ?${onlyFailed ? ' and state in (select jsonb_array_elements_text(?::jsonb))' : ''}
       order by task_id, map_index for update`,
      onlyFailed ? [dagId, runId, jsonList(FAILED_STATES)] : [dagId, runId],
    );
    const now = new Date();
    for (const ti of tis) {
      if (ti.state === 'running') {
        await this.em.execute(`update task_instance set state = 'restarting', updated_at = ? where id = ?`, [now, ti.id], 'run');
        continue;
      }
      // A task instance that never had a try (no state yet) has nothing to archive.
      const id = ti.state === 'none' ? ti.id : await archiveTry(this.em, ti.id);
      await this.em.execute(
        `update task_instance set state = 'none', next_method = null, next_kwargs = null, trigger_id = null, trigger_timeout = null, updated_at = ? where id = ?`,
        [now, id],
        'run',
      );
    }
    await this.em.execute(
      `update dag_run set state = 'queued', clear_number = clear_number + 1, start_date = null, end_date = null where dag_id = ? and run_id = ?`,
      [dagId, runId],
      'run',
    );
  }

  async detail(dagId: string, runId: string): Promise<DagRunContext> {
    const run = await this.em.findOne(DagRun, { dagId, runId });
    if (!run) throw dagRunNotFound(dagId, runId);
    return DagRunContext.from(run);
  }

  async state(dagId: string, runId: string): Promise<DagRunState> {
    const run = await this.em.findOne(DagRun, { dagId, runId }, { fields: ['state'] });
    if (!run) throw dagRunNotFound(dagId, runId);
    return run.state;
  }

  async count(q: DagRunCountQuery): Promise<number> {
    const where = ['dag_id = ?'];
    const values: unknown[] = [q.dag_id];
    if (q.logical_dates?.length) {
      where.push('logical_date in (select (jsonb_array_elements_text(?::jsonb))::timestamptz)');
      values.push(jsonList(q.logical_dates));
    }
    if (q.run_ids?.length) {
      where.push('run_id in (select jsonb_array_elements_text(?::jsonb))');
      values.push(jsonList(q.run_ids));
    }
    if (q.states?.length) {
      where.push('state in (select jsonb_array_elements_text(?::jsonb))');
      values.push(jsonList(q.states));
    }
    const rows = await this.em.execute<{ n: number }[]>(`select count(*)::int as n from dag_run where ${where.join(' and ')}`, values);
    return rows[0].n;
  }

  /** The run with the latest logical date strictly before `logicalDate` (in `state` when given); null when none, also for an unknown dag. */
  async previous(dagId: string, logicalDate: string, state: DagRunState | undefined): Promise<DagRunContext | null> {
    const run = await this.em.findOne(
      DagRun,
      { dagId, logicalDate: { $lt: new Date(logicalDate) }, ...(state ? { state } : {}) },
      { orderBy: { logicalDate: 'desc' } },
    );
    return run ? DagRunContext.from(run) : null;
  }

  /** 404 unless the dag is known (module doc); 400 `import_errors` when the control plane marked it so. */
  private async assertDagTriggerable(dagId: string): Promise<void> {
    const rows = await this.em.execute<{ import_errors: boolean | null; has_runs: boolean }[]>(
      `select (select has_import_errors from dag where dag_id = ?) as import_errors,
              exists (select 1 from dag_run where dag_id = ?) as has_runs`,
      [dagId, dagId],
    );
    const { import_errors: importErrors, has_runs: hasRuns } = rows[0];
    if (importErrors === null && !hasRuns) throw dagNotFound(dagId);
    if (importErrors === true) throw dagImportErrors(dagId);
  }
}
