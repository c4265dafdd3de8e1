import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for `GET /api/v1/task-instances` (issue 14): one per filter column, each ending in `id`,
 * the list's keyset order (newest first: UUID v7 ids grow with time). Any filter combination then
 * has an index whose first column is one of its filters and whose second gives the order, so a
 * page is a bounded index scan (`… where f = ? and id < ? order by id desc limit n`), never a scan
 * of the table and a sort; the other filters are checked on the rows that scan visits. Without a
 * filter the primary key serves the order. Proven with EXPLAIN in test/e2e/task-instance-search.
 *
 * Cost: five more index entries per insert, and a state change is no longer a HOT update (one of
 * them covers `state`); heartbeats change no indexed column and stay HOT.
 */
export class Migration20261128100000_task_instance_search_indexes extends Migration {
  override up(): void {
    this.addSql('create index task_instance_dag_id_id_idx on task_instance (dag_id, id);');
    this.addSql('create index task_instance_run_id_id_idx on task_instance (run_id, id);');
    this.addSql('create index task_instance_task_id_id_idx on task_instance (task_id, id);');
    this.addSql('create index task_instance_map_index_id_idx on task_instance (map_index, id);');
    this.addSql('create index task_instance_state_id_idx on task_instance (state, id);');
  }

  override down(): void {
    for (const name of ['dag_id', 'run_id', 'task_id', 'map_index', 'state']) this.addSql(`drop index if exists task_instance_${name}_id_idx;`);
  }
}
