import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import { validateRequestParts } from '../common/problem/validation';
import { TaskInstanceKeyParams, TaskInstanceMapIndex } from './task-instance-key.params';

/** The longest `dag_id`, `run_id` or `task_id` a task instance can have (the column length). */
const MAX_ID_LENGTH = 250;
const KEY_PARTS = ['dag_id', 'run_id', 'task_id'] as const;

/**
 * Resolves the task instance a route names by key, as Airflow's XCom routes do: `dag_id`, `run_id`
 * and `task_id` from the path, `map_index` from the path or the query string (default -1, an
 * unmapped task). For `@TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })`; exported by
 * `TaskInstancesModule`.
 *
 * The lookup is one indexed read (the `task_instance_composite_key` unique index) outside any
 * transaction: it only decides whose token the route accepts, and the handler's unit of work reads
 * the row again under its own lock. A key that names no live task instance resolves to nothing
 * (403 for every token); a malformed one is a 422 naming every bad part at once (one key, one
 * refusal: "The task instance key is not valid."), never echoing it.
 */
@Injectable()
export class TaskInstanceKeyResolver implements TaskInstanceResolver {
  constructor(private readonly em: EntityManager) {}

  async resolve(req: Request): Promise<string | undefined> {
    const params = req.params as Record<string, string | undefined>;
    // A route that declares this resolver without a part is a wiring bug, not a client error.
    const missing = KEY_PARTS.find((name) => params[name] === undefined);
    if (missing) throw new Error(`TaskInstanceKeyResolver: the route has no path parameter ${missing}`);
    const mapIndex =
      params.map_index !== undefined
        ? { metatype: TaskInstanceMapIndex, value: { map_index: params.map_index }, part: 'path' as const }
        : { metatype: TaskInstanceMapIndex, value: { map_index: (req.query as Record<string, unknown>).map_index }, part: 'query' as const };
    const [ids, index] = validateRequestParts(
      [{ metatype: TaskInstanceKeyParams, value: { dag_id: params.dag_id, run_id: params.run_id, task_id: params.task_id }, part: 'path' }, mapIndex],
      'The task instance key is not valid.',
    );
    if ([ids.dag_id, ids.run_id, ids.task_id].some((part) => part.length > MAX_ID_LENGTH)) return undefined;
    const rows = await this.em.execute<{ id: string }[]>('select id from task_instance where dag_id = ? and task_id = ? and run_id = ? and map_index = ?', [
      ids.dag_id,
      ids.task_id,
      ids.run_id,
      index.map_index ?? -1,
    ]);
    return rows[0]?.id;
  }
}
