import { Migration } from '@mikro-orm/migrations';

/**
 * What the task-instance reads of a running task need and the schema did not hold yet:
 * - `task_instance.operator`: the operator class name, which `GET …/breadcrumbs` reports; set by the
 *   control plane's create (a scheduler knows it from the serialized dag);
 * - `task_instance.inlets` / `outlets`: the assets the task declares (`[{name, uri}]`), which
 *   `GET …/{id}/validate-inlets-and-outlets` checks against the active assets;
 * - `asset`: the assets a scheduler registered, unique by (name, uri) as in Airflow.
 * All columns are nullable or defaulted, so existing rows and a rolling deploy need no backfill.
 */
export class Migration20261206110000_task_instance_reads extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table task_instance
        add column operator varchar(1000) null,
        add column inlets jsonb null,
        add column outlets jsonb null;`);
    this.addSql(`
      create table asset (
        id serial primary key,
        name varchar(1500) not null,
        uri varchar(1500) not null,
        "group" varchar(1500) not null default '',
        extra jsonb not null default '{}',
        active boolean not null default true,
        updated_at timestamptz not null,
        constraint asset_name_uri_key unique (name, uri)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists asset;');
    this.addSql('alter table task_instance drop column if exists outlets, drop column if exists inlets, drop column if exists operator;');
  }
}
