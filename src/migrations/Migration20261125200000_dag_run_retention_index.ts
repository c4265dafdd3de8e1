import { Migration } from '@mikro-orm/migrations';

/**
 * RTIF retention asks for the N newest dag runs of a dag `order by run_after desc, run_id desc`.
 * The old index had no `run_id`, so PostgreSQL read and sorted every run of the dag on each
 * retention delete; with `run_id desc` as the last key column the top N is a bounded index scan.
 */
export class Migration20261125200000_dag_run_retention_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index dag_run_dag_id_run_after_run_id_idx on dag_run (dag_id, run_after desc, run_id desc);');
    this.addSql('drop index dag_run_dag_id_run_after_idx;');
  }

  override async down(): Promise<void> {
    this.addSql('create index dag_run_dag_id_run_after_idx on dag_run (dag_id, run_after desc);');
    this.addSql('drop index dag_run_dag_id_run_after_run_id_idx;');
  }
}
