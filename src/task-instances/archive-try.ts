import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { TaskReschedule } from './lifecycle/task-reschedule.entity';

/**
 * Copies a finished try to `task_instance_history` under its id, drops its reschedules, then
 * gives the live row a new id and the next try number (Airflow's `prepare_db_for_next_try`). The
 * id change is what answers 410 to a late call from the old try; it takes the row's FOR UPDATE
 * lock, so it waits for RTIF writes that already hold a key-share lock on the old id. Used by a
 * retry (`PATCH …/state`) and by clearing a dag run. Returns the live row's new id.
 */
export async function archiveTry(em: EntityManager, oldId: string): Promise<string> {
  await em.execute(
    `insert into task_instance_history
       (task_instance_id, dag_id, run_id, task_id, map_index, try_number, max_tries, state, hostname, unixname, pid,
        start_date, end_date, duration, last_heartbeat_at, rendered_map_index, next_method, next_kwargs, updated_at)
     select id, dag_id, run_id, task_id, map_index, try_number, max_tries, state, hostname, unixname, pid,
        start_date, end_date, duration, last_heartbeat_at, rendered_map_index, next_method, next_kwargs, updated_at
       from task_instance where id = ?`,
    [oldId],
  );
  await em.nativeDelete(TaskReschedule, { tiId: oldId });
  const newId = uuidv7();
  const updated = await em.execute<{ affectedRows: number }>(
    'update task_instance set id = ?, try_number = try_number + 1, updated_at = ? where id = ?',
    [newId, new Date(), oldId],
    'run',
  );
  if (updated.affectedRows !== 1) throw new Error('archived try vanished under its row lock');
  return newId;
}
