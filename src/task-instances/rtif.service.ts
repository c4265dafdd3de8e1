import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { opaqueJson, RenderedTaskInstanceFields, RTIF_KEY_FIELDS, type JsonObject } from './rendered-task-instance-fields.entity';
import { redactSensitive } from './redaction';
import { TaskInstance } from './task-instance.entity';
import { TaskInstanceLookup } from './task-instance.lookup';
import { RenderedFieldsNotFoundError, TaskInstanceNotFoundError } from './task-instances.errors';

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
   * then applies retention. Must run inside a unit of work (`@Idempotency`): the lookup, the
   * upsert and the retention delete commit together.
   */
  async write(taskInstanceId: string, fields: JsonObject): Promise<void> {
    // 410 for an archived try, 404 for an unknown id. The key-share lock keeps a late write from an
    // archived try off the next try's row: it waits for an archive in progress, then finds the id gone.
    const ti = await this.lookup.findLive(taskInstanceId, 'key share');

    await this.em.upsert(
      RenderedTaskInstanceFields,
      {
        dagId: ti.dagId,
        taskId: ti.taskId,
        runId: ti.runId,
        mapIndex: ti.mapIndex,
        renderedFields: opaqueJson(redactSensitive(fields, this.config.rtif.sensitiveFields) as JsonObject),
        k8sPodYaml: null,
        // em.upsert skips onUpdate hooks: the timestamp is set here, on insert and update alike.
        updatedAt: new Date(),
      },
      {
        onConflictFields: [...RTIF_KEY_FIELDS],
        onConflictAction: 'merge',
        onConflictMergeFields: ['renderedFields', 'k8sPodYaml', 'updatedAt'],
      },
    );
    await this.deleteOldRecords(ti.dagId, ti.taskId);
  }

  /**
   * Keeps the rows of the N most recent dag runs (by `run_after`) of the dag for this task, as
   * Airflow 3.2's `delete_old_records` does; mapped rows of one run go or stay together.
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
