import { EntityManager } from '@mikro-orm/postgresql';
import type { FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { RenderedTaskInstanceFields } from '../rtif/rendered-task-instance-fields.entity';
import { TaskInstance } from '../task-instance.entity';
import { TaskInstanceHistory } from '../task-instance-history.entity';
import { TaskInstanceNotFoundError } from '../task-instances.errors';
import { encodeCursor, TaskInstanceTryDto, type TaskInstanceKey, type TaskInstanceListQuery, type TaskInstanceTriesDto } from './dto/task-instance-search.dto';
import { TASK_INSTANCE_PROBLEMS } from '../task-instances.problems';

/**
 * Finding task instances without knowing their ids (issue 14): after an `up_for_retry` the live
 * task instance has a new id, and operators look it up by its key, list a dag run's task
 * instances, or walk the tries of one. Reads only; each route runs in a read-only unit of work.
 */
@Injectable()
export class TaskInstanceSearchService {
  constructor(private readonly em: EntityManager) {}

  /**
   * One page, newest first, in keyset order on `id` (UUID v7: creation order, unique, so the order
   * is stable and a page never repeats or skips a row that existed when the first page was read).
   * One row more than the page tells whether there is a next page.
   */
  async list(query: TaskInstanceListQuery): Promise<{ rows: TaskInstance[]; nextCursor: string | null }> {
    const { filter, limit, before } = query;
    const where: FilterQuery<TaskInstance> = {};
    if (filter.dagId !== undefined) where.dagId = filter.dagId;
    if (filter.runId !== undefined) where.runId = filter.runId;
    if (filter.taskId !== undefined) where.taskId = filter.taskId;
    if (filter.mapIndex !== undefined) where.mapIndex = filter.mapIndex;
    if (filter.state !== undefined) where.state = filter.state;
    if (before !== undefined) where.id = { $lt: before };
    const rows = await this.em.find(TaskInstance, where, { orderBy: { id: 'desc' }, limit: limit + 1, disableIdentityMap: true });
    const page = rows.slice(0, limit);
    return { rows: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  /** Every try of the task instance that has, or had, the id `id` (live or archived), newest first. */
  async tries(id: string): Promise<TaskInstanceTriesDto> {
    const key =
      (await this.em.findOne(TaskInstance, { id }, { fields: ['dagId', 'runId', 'taskId', 'mapIndex'], disableIdentityMap: true })) ??
      (await this.em.findOne(TaskInstanceHistory, { taskInstanceId: id }, { fields: ['dagId', 'runId', 'taskId', 'mapIndex'], disableIdentityMap: true }));
    if (!key) throw new TaskInstanceNotFoundError(id);
    const byKey = { dagId: key.dagId, runId: key.runId, taskId: key.taskId, mapIndex: key.mapIndex };
    const live = await this.em.findOne(TaskInstance, byKey, { disableIdentityMap: true });
    // The history's unique key (dag_id, task_id, run_id, map_index, try_number) serves this read.
    const archived = await this.em.find(TaskInstanceHistory, byKey, { orderBy: { tryNumber: 'desc' }, disableIdentityMap: true });
    const tries = [...(live ? [TaskInstanceTryDto.from(live, true)] : []), ...archived.map((h) => TaskInstanceTryDto.from(h, false))];
    // Stable: sort keeps the live try ahead of an archived one with the same number.
    tries.sort((a, b) => b.try_number - a.try_number);
    return { dag_id: key.dagId, run_id: key.runId, task_id: key.taskId, map_index: key.mapIndex, live_task_instance_id: live?.id ?? null, tries };
  }

  /** The rendered fields stored for a task-instance key (a primary-key read). */
  async renderedFields(key: TaskInstanceKey): Promise<RenderedTaskInstanceFields> {
    const row = await this.em.findOne(
      RenderedTaskInstanceFields,
      { dagId: key.dagId, runId: key.runId, taskId: key.taskId, mapIndex: key.mapIndex },
      { disableIdentityMap: true },
    );
    if (!row) {
      throw TASK_INSTANCE_PROBLEMS.error('rendered_fields_not_found', 'No rendered fields are stored for this task instance key.');
    }
    return row;
  }
}
