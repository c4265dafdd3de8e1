import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { lockTimeoutSetting, statementTimeoutSetting } from '../../common/unit-of-work/unit-of-work.runner';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { stringifyExactJson, type ExactJsonObject } from '../../common/json/exact-json';
import { RenderedTaskInstanceFields, RTIF_KEY_FIELDS } from './rendered-task-instance-fields.entity';
import { redactSensitive } from '../../common/json/redaction';
import { TaskInstance } from '../task-instance.entity';
import { TaskInstanceLookup } from '../task-instance.lookup';
import { RenderedFieldsNotFoundError, TaskInstanceNotFoundError } from '../task-instances.errors';

/**
 * The task-instance lookup of an RTIF write, in one round trip and the transaction's first
 * statement: it sets the transaction's `lock_timeout` (the route's policy is
 * `lockTimeout: 'first-statement'`; the select list is evaluated in the index scan, before the row
 * lock below it is taken) and its `statement_timeout` (for the statements after it), reads the live row's key, locked `for key share` (see
 * `TaskInstanceLookup`: a write racing the archive of its try waits for it, then finds the id gone,
 * so a late write never lands on the next try's row), and whether the task instance already has
 * rendered fields (an overwrite cannot change which dag runs are the newest, so retention has
 * nothing to do after it).
 */
function lookupForWriteSql(lockTimeoutMs: number, statementTimeoutMs: number): string {
  return `select ti.dag_id, ti.task_id, ti.run_id, ti.map_index,
    exists (select 1 from rendered_task_instance_fields r
             where r.dag_id = ti.dag_id and r.task_id = ti.task_id and r.run_id = ti.run_id and r.map_index = ti.map_index) as has_fields,
    ${lockTimeoutSetting(lockTimeoutMs)} as lock_timeout,
    ${statementTimeoutSetting(statementTimeoutMs)} as statement_timeout
  from task_instance ti where ti.id = ?
  for key share of ti`;
}

interface LookupRow {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  has_fields: boolean;
}

/**
 * Rendered task instance fields (RTIF). The write is one atomic `INSERT … ON CONFLICT DO UPDATE`,
 * so two overlapping writes for one task instance (a client retry after a timeout, parallel
 * workers) can never collide on the key the way Airflow's SELECT-then-INSERT did (#61705).
 */
@Injectable()
export class RtifService {
  private readonly lookupForWrite: string;

  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lookup: TaskInstanceLookup,
  ) {
    this.lookupForWrite = lookupForWriteSql(config.database.lockTimeoutMs, config.database.statementTimeoutMs);
  }

  /**
   * Redacts and stores `fields` for the task instance (last writer wins, whole object replaced),
   * then applies retention. Runs inside the route's unit of work (`@UnitOfWork`): the lookup, the
   * upsert and the retention delete commit together, and a transient failure reruns all three.
   */
  async write(taskInstanceId: string, fields: ExactJsonObject): Promise<void> {
    const [ti] = await this.em.execute<LookupRow[]>(this.lookupForWrite, [taskInstanceId]);
    // No live task instance: 410 if the id belonged to an archived try, else 404.
    if (ti === undefined) return this.lookup.throwMissing(taskInstanceId);

    await this.em.upsert(
      RenderedTaskInstanceFields,
      {
        dagId: ti.dag_id,
        taskId: ti.task_id,
        runId: ti.run_id,
        mapIndex: ti.map_index,
        // Serialised once, numbers verbatim; the column type passes the text to jsonb as is.
        renderedFields: stringifyExactJson(redactSensitive(fields, this.config.rtif.sensitiveFields)),
        k8sPodYaml: null,
        // em.upsert skips onUpdate hooks: the timestamp is set here, on insert and update alike.
        updatedAt: new Date(),
      },
      {
        onConflictFields: [...RTIF_KEY_FIELDS],
        onConflictAction: 'merge',
        onConflictMergeFields: ['renderedFields', 'k8sPodYaml', 'updatedAt'],
        // The returned entity is not used: keeping it out of the identity map spares the commit's
        // flush a change-set computation over the whole document (about 0.2–0.3 ms per write).
        disableIdentityMap: true,
      },
    );
    if (!ti.has_fields) await this.deleteOldRecords(ti.dag_id, ti.task_id);
  }

  /**
   * Keeps the rows of the N most recent dag runs (by `run_after`) of the dag for this task, as
   * Airflow 3.2's `delete_old_records` does; mapped rows of one run go or stay together.
   *
   * Called only when the write created its row. An overwrite adds no row and cannot change which
   * dag runs are newest; rows pushed out by a dag run created since are removed by the next write
   * that creates a row for this (dag, task), normally the first write of that new run. Two first
   * writes racing may both run it, which is harmless. The top-N subquery is an index scan of
   * `dag_run_dag_id_run_after_run_id_idx`.
   */
  private async deleteOldRecords(dagId: string, taskId: string): Promise<void> {
    const keep = this.config.rtif.retentionDagRuns;
    if (keep <= 0) return;
    await this.em.execute(
      `delete from rendered_task_instance_fields
        where dag_id = ? and task_id = ?
          and run_id not in (
            select run_id from dag_run where dag_id = ? order by run_after desc, run_id desc limit ?)`,
      [dagId, taskId, dagId, keep],
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
