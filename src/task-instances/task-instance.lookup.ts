import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { TaskInstance } from './task-instance.entity';
import { TaskInstanceMovedToHistoryError, TaskInstanceNotFoundError } from './task-instances.errors';

/**
 * Row lock taken on the live task-instance row, held until the unit of work commits.
 *
 * - `key share`: for writers that only need the row to keep its id (RTIF). It does not conflict
 *   with `no key update`, so it never waits for a heartbeat or a state change, but it does conflict
 *   with the id change that archives a try: a write that found the old id finishes before the
 *   archive, and one that arrives during it waits and then finds the id gone (410).
 * - `no key update`: for transitions (`/run`, `/state`): one at a time per task instance. It is the
 *   lock an UPDATE that leaves the key alone takes anyway, so RTIF writes are not blocked by it.
 */
export type RowLock = 'none' | 'key share' | 'no key update';

const LOCK_CLAUSE: Record<RowLock, string> = {
  none: '',
  'key share': ' for key share',
  'no key update': ' for no key update',
};

/**
 * The one place where an execution route resolves a task-instance id: the live row, else 410 if
 * the id belonged to an archived try, else 404. Must run inside a unit of work when locking.
 */
@Injectable()
export class TaskInstanceLookup {
  constructor(private readonly em: EntityManager) {}

  /** The live task instance with this id (locked as asked); throws 410 or 404 when there is none. */
  async findLive(id: string, lock: RowLock): Promise<TaskInstance> {
    // next_kwargs as text (JsonTextType): node-postgres would parse the jsonb and round its numbers.
    // A later column of the same name wins in node-postgres' row objects.
    const rows = await this.em.execute<Record<string, unknown>[]>(
      `select *, next_kwargs::text as next_kwargs from task_instance where id = ?${LOCK_CLAUSE[lock]}`,
      [id],
    );
    if (rows.length === 0) return this.throwMissing(id);
    // Read-only snapshot: writes go through explicit UPDATE statements, never a flush of this entity.
    return this.em.map(TaskInstance, rows[0]);
  }

  /** Explains why `id` has no live row: 410 when an archived try had it, otherwise 404. */
  async throwMissing(id: string): Promise<never> {
    const archived = await this.em.execute<unknown[]>('select 1 from task_instance_history where task_instance_id = ? limit 1', [id]);
    throw archived.length > 0 ? new TaskInstanceMovedToHistoryError(id) : new TaskInstanceNotFoundError(id);
  }
}
