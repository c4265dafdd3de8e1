import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { stringifyExactJson } from '../../common/json/exact-json';
import { DagRun } from '../../dag-runs/dag-run.entity';
import type { CreateTaskInstanceDto } from './dto/create-task-instance.dto';
import { TaskInstance } from '../task-instance.entity';
import { TaskInstanceNotFoundError } from '../task-instances.errors';

/** Control-plane operations on task instances (what a scheduler does). */
@Injectable()
export class TaskInstancesService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Creates the task instance, and its dag run when absent. Runs in a unit of work whose policy
   * makes a duplicate task-instance key a 409 `already_exists`; the dag run is inserted with
   * `ON CONFLICT DO NOTHING`, so many creations for one new dag run all succeed.
   */
  async create(dto: CreateTaskInstanceDto): Promise<TaskInstance> {
    const now = new Date();
    const runAfter = dto.run_after ? new Date(dto.run_after) : now;
    const runType = dto.run_type ?? 'manual';
    // Airflow names a triggered run `<run_type>__<run_after>`; without a run_id each creation gets
    // a new dag run, so a request repeated from Swagger UI or the README creates, not 409s.
    const runId = dto.run_id ?? `${runType}__${runAfter.toISOString().replace('Z', '+00:00')}`;
    await this.em
      .createQueryBuilder(DagRun)
      .insert({
        dagId: dto.dag_id,
        runId,
        logicalDate: dto.logical_date ? new Date(dto.logical_date) : null,
        runAfter,
        state: 'running',
        // Created running, so it started now (the run context's dag_run.start_date).
        startDate: now,
        dataIntervalStart: dto.data_interval_start ? new Date(dto.data_interval_start) : null,
        dataIntervalEnd: dto.data_interval_end ? new Date(dto.data_interval_end) : null,
        runType,
        conf: stringifyExactJson(dto.conf ?? {}),
      })
      .onConflict(['dagId', 'runId'])
      .ignore()
      .execute();

    const state = dto.state ?? 'queued';
    const ti = this.em.create(TaskInstance, {
      id: uuidv7(),
      dagId: dto.dag_id,
      runId,
      taskId: dto.task_id,
      mapIndex: dto.map_index ?? -1,
      // Airflow 3 counts a try from the moment the task is scheduled.
      tryNumber: state === 'none' ? 0 : 1,
      maxTries: dto.max_tries ?? 0,
      state,
      operator: dto.operator ?? null,
      // Plain copies: the DTO instances would be stored with their class, and only name and uri count.
      inlets: dto.inlets?.map((a) => ({ name: a.name, uri: a.uri })) ?? null,
      outlets: dto.outlets?.map((a) => ({ name: a.name, uri: a.uri })) ?? null,
      updatedAt: now,
    });
    await this.em.flush();
    return ti;
  }

  async get(id: string): Promise<TaskInstance> {
    const ti = await this.em.findOne(TaskInstance, { id });
    if (!ti) throw new TaskInstanceNotFoundError(id);
    return ti;
  }
}
