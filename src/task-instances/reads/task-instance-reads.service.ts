import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { TaskInstanceState } from '../task-instance-state';
import { TaskInstanceLookup } from '../task-instance.lookup';
import type { PreviousTaskInstanceQuery, TaskInstanceCountQuery, TaskInstanceStatesQuery } from './dto/reads-query.dto';
import type { PreviousTIResponse, TaskBreadcrumb, TaskStatesResponse } from './dto/reads-response.dto';
import { DagNotFoundError, TaskGroupNotFoundError } from './reads.errors';

/** Airflow's terminal task-instance states (`TerminalTIState`): what breadcrumbs report. */
const TERMINAL_STATES: readonly TaskInstanceState[] = ['success', 'failed', 'skipped', 'upstream_failed', 'removed'];

/** `none` is how this service stores Airflow's null state; the API speaks null. */
const apiState = (state: TaskInstanceState): string | null => (state === 'none' ? null : state);
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** A WHERE clause under construction: SQL text with `?` placeholders and their values, in order. */
class Where {
  readonly parts: string[] = [];
  readonly values: unknown[] = [];

  add(sql: string, ...values: unknown[]): this {
    this.parts.push(sql);
    this.values.push(...values);
    return this;
  }

  get sql(): string {
    return this.parts.join(' and ');
  }
}

/** A list parameter as one jsonb value: the statement text stays the same whatever the list holds. */
const jsonList = (values: readonly string[]): string => JSON.stringify(values);

/**
 * The task-instance reads a running task makes about other task instances (Airflow's plain-router
 * routes: count, states, previous, breadcrumbs), the reschedule start of a try, and the rendered
 * map index a task sets on itself. Every read is one or two indexed statements in the route's unit
 * of work.
 *
 * Task groups: this service keeps no serialized dags, so a group is what Airflow's default
 * `prefix_group_id` makes of it: the tasks whose id starts with `<group_id>.` (nested groups
 * included). A group no task instance of the dag belongs to is a 404, and so is a dag with no task
 * instance at all (Airflow: no serialized dag), checked only when a group is asked for, as Airflow does.
 */
@Injectable()
export class TaskInstanceReadsService {
  constructor(
    private readonly em: EntityManager,
    private readonly lookup: TaskInstanceLookup,
  ) {}

  /** How many task instances match; `states` may hold `"null"` (no state yet), ORed with the others. */
  async count(q: TaskInstanceCountQuery): Promise<number> {
    const where = this.filters(q);
    // Airflow: the group's (task_id, map_index) pairs under the run and map-index filters (not
    // task_ids), ANDed with the rest; when the group has no task instance under them, the group id
    // itself as an unmapped task id.
    let group: [string, string] | undefined;
    if (q.task_group_id !== undefined) {
      await this.assertGroupExists(q.dag_id, q.task_group_id);
      const inGroup = await this.em.execute<unknown[]>(
        `select 1 from task_instance ti ${this.joinRun(q)} where ${where.sql} and starts_with(ti.task_id, ?) limit 1`,
        [...where.values, `${q.task_group_id}.`],
      );
      group = inGroup.length > 0 ? ['starts_with(ti.task_id, ?)', `${q.task_group_id}.`] : ['ti.task_id = ? and ti.map_index = -1', q.task_group_id];
    }
    if (q.task_ids) where.add('ti.task_id in (select jsonb_array_elements_text(?::jsonb))', jsonList(q.task_ids));
    if (group) where.add(group[0], group[1]);
    if (q.states) {
      const named = q.states.filter((s) => s !== 'null');
      const orNull = named.length < q.states.length;
      const clause = named.length > 0 ? 'ti.state in (select jsonb_array_elements_text(?::jsonb))' : 'false';
      where.add(orNull ? `(ti.state = 'none' or ${clause})` : clause, ...(named.length > 0 ? [jsonList(named)] : []));
    }
    const rows = await this.em.execute<{ n: number }[]>(`select count(*)::int as n from task_instance ti ${this.joinRun(q)} where ${where.sql}`, where.values);
    return rows[0].n;
  }

  /**
   * The state of every matching task instance by run and task (`task_id_{map_index}` for a mapped
   * one). `task_ids` and `task_group_id` add up, as in Airflow.
   */
  async states(q: TaskInstanceStatesQuery): Promise<TaskStatesResponse> {
    const where = this.filters(q);
    if (q.task_group_id !== undefined) await this.assertGroupExists(q.dag_id, q.task_group_id);
    const byTask = [
      ...(q.task_ids ? ['ti.task_id in (select jsonb_array_elements_text(?::jsonb))'] : []),
      ...(q.task_group_id !== undefined ? ['starts_with(ti.task_id, ?)'] : []),
    ];
    if (byTask.length > 0) {
      where.add(`(${byTask.join(' or ')})`, ...(q.task_ids ? [jsonList(q.task_ids)] : []), ...(q.task_group_id !== undefined ? [`${q.task_group_id}.`] : []));
    }
    const rows = await this.em.execute<{ run_id: string; task_id: string; map_index: number; state: TaskInstanceState }[]>(
      `select ti.run_id, ti.task_id, ti.map_index, ti.state from task_instance ti ${this.joinRun(q)}
        where ${where.sql} order by ti.run_id, ti.task_id, ti.map_index`,
      where.values,
    );
    const taskStates: Record<string, Record<string, string | null>> = {};
    for (const r of rows) {
      const run = (taskStates[r.run_id] ??= {});
      run[r.map_index < 0 ? r.task_id : `${r.task_id}_${r.map_index}`] = apiState(r.state);
    }
    return { task_states: taskStates };
  }

  /**
   * The task instance of the dag's latest run (by logical date, strictly before `logical_date` when
   * given) for this task and map index (default -1), optionally in `state`; null when none. Runs
   * without a logical date come last (PostgreSQL would sort them first in a descending order).
   */
  async previous(dagId: string, taskId: string, q: PreviousTaskInstanceQuery): Promise<PreviousTIResponse | null> {
    const where = new Where().add('ti.dag_id = ? and ti.task_id = ? and ti.map_index = ?', dagId, taskId, q.map_index ?? -1);
    if (q.logical_date !== undefined) where.add('dr.logical_date < ?', new Date(q.logical_date));
    if (q.state !== undefined) where.add('ti.state = ?', q.state);
    const rows = await this.em.execute<
      {
        task_id: string;
        dag_id: string;
        run_id: string;
        logical_date: Date | null;
        start_date: Date | null;
        end_date: Date | null;
        state: TaskInstanceState;
        try_number: number;
        map_index: number;
        duration: number | null;
      }[]
    >(
      `select ti.task_id, ti.dag_id, ti.run_id, dr.logical_date, ti.start_date, ti.end_date, ti.state, ti.try_number, ti.map_index, ti.duration
         from task_instance ti join dag_run dr on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id
        where ${where.sql}
        order by dr.logical_date desc nulls last, dr.run_after desc, ti.run_id desc
        limit 1`,
      where.values,
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      task_id: r.task_id,
      dag_id: r.dag_id,
      run_id: r.run_id,
      logical_date: iso(r.logical_date),
      start_date: iso(r.start_date),
      end_date: iso(r.end_date),
      state: apiState(r.state),
      try_number: r.try_number,
      map_index: r.map_index,
      duration: r.duration,
    };
  }

  /** The finished task instances of one dag run, by task id and map index. */
  async breadcrumbs(dagId: string, runId: string): Promise<TaskBreadcrumb[]> {
    return this.em.execute<TaskBreadcrumb[]>(
      `select task_id, map_index, state, operator, duration from task_instance
        where dag_id = ? and run_id = ? and state in (select jsonb_array_elements_text(?::jsonb))
        order by task_id, map_index`,
      [dagId, runId, jsonList(TERMINAL_STATES)],
    );
  }

  /**
   * The start of the first reschedule of the try, or null. A task-instance id names one try (a
   * retry gets a new id, and the old try's reschedules are deleted with it), so an unknown or
   * archived id, or a `try_number` other than the live one, has none: null, as the newest Airflow
   * answers (older ones answered 404).
   */
  async rescheduleStartDate(taskInstanceId: string, tryNumber: number | undefined): Promise<string | null> {
    const rows = await this.em.execute<{ start_date: Date }[]>(
      `select tr.start_date from task_reschedule tr join task_instance ti on ti.id = tr.ti_id
        where tr.ti_id = ?${tryNumber !== undefined ? ' and ti.try_number = ?' : ''}
        order by tr.id limit 1`,
      [taskInstanceId, ...(tryNumber !== undefined ? [tryNumber] : [])],
    );
    return rows.length > 0 ? iso(rows[0].start_date) : null;
  }

  /** Sets the label the UI shows for this map index; 404/410 when the id has no live row. */
  async setRenderedMapIndex(taskInstanceId: string, label: string): Promise<void> {
    const res = await this.em.execute<{ affectedRows: number }>(
      'update task_instance set rendered_map_index = ?, updated_at = ? where id = ?',
      [label, new Date(), taskInstanceId],
      'run',
    );
    if (res.affectedRows === 0) await this.lookup.throwMissing(taskInstanceId);
  }

  /** The filters count and states share: dag, map index, logical dates (of the dag run), run ids. */
  private filters(q: TaskInstanceStatesQuery): Where {
    const where = new Where().add('ti.dag_id = ?', q.dag_id);
    if (q.map_index !== undefined) where.add('ti.map_index = ?', q.map_index);
    if (q.run_ids) where.add('ti.run_id in (select jsonb_array_elements_text(?::jsonb))', jsonList(q.run_ids));
    if (q.logical_dates) {
      where.add(
        'dr.logical_date in (select value::timestamptz from jsonb_array_elements_text(?::jsonb))',
        jsonList(q.logical_dates.map((d) => new Date(d).toISOString())),
      );
    }
    return where;
  }

  private joinRun(q: TaskInstanceStatesQuery): string {
    return q.logical_dates ? 'join dag_run dr on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id' : '';
  }

  private async assertGroupExists(dagId: string, groupId: string): Promise<void> {
    const rows = await this.em.execute<{ dag: boolean; grp: boolean }[]>(
      `select exists(select 1 from task_instance where dag_id = ?) as dag,
              exists(select 1 from task_instance where dag_id = ? and starts_with(task_id, ?)) as grp`,
      [dagId, dagId, `${groupId}.`],
    );
    if (!rows[0].dag) throw new DagNotFoundError(dagId);
    if (!rows[0].grp) throw new TaskGroupNotFoundError(dagId, groupId);
  }
}
