import { Migration } from '@mikro-orm/migrations';

/**
 * The HITL module's table: `hitl_detail`, one human-in-the-loop question per task instance and its
 * answer. It hangs off `task_instance.id` with `on delete cascade` (the question goes with its task
 * instance, as in Airflow) and `on update cascade`: archiving a try gives the live row a new id, and
 * the question follows the live row, as Airflow keeps one detail per task instance; the next try's
 * `POST hitlDetails` then wipes the old answer.
 */
export class Migration20261206150000_hitl extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table hitl_detail (
        ti_id uuid not null,
        options jsonb not null,
        subject text not null,
        body text null,
        defaults jsonb null,
        multiple boolean not null default false,
        params jsonb not null default '{}',
        assigned_users jsonb not null default '[]',
        created_at timestamptz not null default now(),
        responded_at timestamptz null,
        responded_by_user_id varchar(250) null,
        responded_by_user_name varchar(250) null,
        chosen_options jsonb null,
        params_input jsonb not null default '{}',
        constraint hitl_detail_pkey primary key (ti_id),
        constraint hitl_detail_ti_fkey foreign key (ti_id) references task_instance (id) on delete cascade on update cascade,
        constraint hitl_detail_response_check check ((chosen_options is null) = (responded_at is null))
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists hitl_detail;');
  }
}
