import { EntityManager } from '@mikro-orm/postgresql';
import { LOCK_TIMEOUT_CTE } from '../common/unit-of-work/unit-of-work.runner';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RenderedTaskInstanceFields, RTIF_KEY_CONSTRAINT, type JsonObject } from './rendered-task-instance-fields.entity';
import { redactSensitive } from './redaction';
import { TaskInstance } from './task-instance.entity';
import { TaskInstanceLookup } from './task-instance.lookup';
import { RenderedFieldsNotFoundError, TaskInstanceNotFoundError } from './task-instances.errors';

/**
 * The whole RTIF write in one statement: the task-instance lookup is the `SELECT` feeding the
 * `INSERT`, so an unknown id inserts nothing and returns no row. `xmax = 0` holds only for a row
 * version this statement inserted (an `ON CONFLICT DO UPDATE` version carries the updater's xid),
 * which tells the caller whether retention can have anything to do. `for key share` is the
 * lookup's lock (`TaskInstanceLookup`): a write racing the archive of its try waits for it, then
 * re-reads the row, finds the id gone and inserts nothing (→ 410). The route is `autocommit`:
 * this statement is its own transaction and sets its own `lock_timeout`.
 * Parameters: lock timeout (ms, text), the redacted fields as JSON text, the task instance id.
 * The benchmark's pgbench limit runs this same text.
 */
export const RTIF_WRITE_SQL = `with ${LOCK_TIMEOUT_CTE}
  insert into rendered_task_instance_fields as r
    (dag_id, task_id, run_id, map_index, rendered_fields, k8s_pod_yaml, updated_at)
  select ti.dag_id, ti.task_id, ti.run_id, ti.map_index, ?::jsonb, null, now()
    from lock_timeout, task_instance ti where ti.id = ?
    for key share of ti
  on conflict on constraint ${RTIF_KEY_CONSTRAINT} do update
    set rendered_fields = excluded.rendered_fields, k8s_pod_yaml = excluded.k8s_pod_yaml, updated_at = excluded.updated_at
  returning r.dag_id, r.task_id, (r.xmax = 0) as inserted`;

interface RtifWriteResult {
  dagId: string;
  taskId: string;
  /** True when the statement created the row, false when it overwrote an existing one. */
  inserted: boolean;
}

/**
 * Rendered task instance fields (RTIF). The write is one atomic `INSERT … ON CONFLICT DO UPDATE`,
 * so two overlapping writes for one task instance (a client retry after a timeout, parallel
 * workers) can never collide on the key the way Airflow's SELECT-then-INSERT did (#61705).
 */
@Injectable()
export class RtifService {
  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lookup: TaskInstanceLookup,
  ) {}

  /**
   * Redacts and stores `fields` for the task instance (last writer wins, whole object replaced),
   * then applies retention. Runs as an `autocommit` unit of work (`@Idempotency`), retried on
   * transient failures.
   *
   * One statement does the lookup and the upsert (`RTIF_WRITE_SQL`) and commits alone; the
   * retention delete runs only when that statement created the row (see `deleteOldRecords`). An
   * overwrite is therefore one round trip (docs/performance.md).
   */
  async write(taskInstanceId: string, fields: JsonObject): Promise<void> {
    const written = await this.upsertForLiveTaskInstance(taskInstanceId, fields);
    if (written === undefined) {
      // No live task instance has this id (nothing was written): 410 if it belonged to an
      // archived try, else 404.
      return this.lookup.throwMissing(taskInstanceId);
    }
    if (written.inserted) await this.deleteOldRecords(written.dagId, written.taskId);
  }

  /** The upsert of `RTIF_WRITE_SQL`; `undefined` when no live task instance has this id. */
  private async upsertForLiveTaskInstance(taskInstanceId: string, fields: JsonObject): Promise<RtifWriteResult | undefined> {
    const redacted = redactSensitive(fields, this.config.rtif.sensitiveFields);
    const rows = await this.em.execute<{ dag_id: string; task_id: string; inserted: boolean }[]>(
      RTIF_WRITE_SQL,
      [String(this.config.database.lockTimeoutMs), JSON.stringify(redacted), taskInstanceId],
      'all',
    );
    const row = rows[0];
    return row === undefined ? undefined : { dagId: row.dag_id, taskId: row.task_id, inserted: row.inserted };
  }

  /**
   * Keeps the rows of the N most recent dag runs (by `run_after`) of the dag for this task, as
   * Airflow 3.2's `delete_old_records` does; mapped rows of one run go or stay together.
   *
   * Called only after a write that created its row, as its own statement. An overwrite adds no
   * row and cannot change which dag runs are newest, so after it the table holds no more rows for
   * this (dag, task) than it did; rows pushed out by a dag run created since are removed by the
   * next write that creates a row (normally the first task of that new run). If this delete is
   * lost (the process dies, or it fails and the retry finds the row already written), the same
   * holds: the delete after the next new row of this (dag, task) catches up.
   * The top-N subquery is an index scan of `dag_run_dag_id_run_after_run_id_idx`.
   */
  private async deleteOldRecords(dagId: string, taskId: string): Promise<void> {
    const keep = this.config.rtif.retentionDagRuns;
    if (keep <= 0) return;
    await this.em.execute(
      `with ${LOCK_TIMEOUT_CTE}
       delete from rendered_task_instance_fields r using lock_timeout
        where r.dag_id = ? and r.task_id = ?
          and r.run_id not in (
            select run_id from dag_run where dag_id = ? order by run_after desc, run_id desc limit ?)`,
      [String(this.config.database.lockTimeoutMs), dagId, taskId, dagId, keep],
    );
  }

  async read(taskInstanceId: string): Promise<RenderedTaskInstanceFields> {
    const ti = await this.em.findOne(TaskInstance, { id: taskInstanceId }, { fields: ['dagId', 'runId', 'taskId', 'mapIndex'] });
    if (!ti) throw new TaskInstanceNotFoundError(taskInstanceId);
    const row = await this.em.findOne(RenderedTaskInstanceFields, {
      dagId: ti.dagId,
      taskId: ti.taskId,
      runId: ti.runId,
      mapIndex: ti.mapIndex,
    });
    if (!row) throw new RenderedFieldsNotFoundError(taskInstanceId);
    return row;
  }
}
