import { Migration } from '@mikro-orm/migrations';

/**
 * Asset events and aliases (Airflow's `asset_event`, `asset_alias`, `asset_alias_asset`,
 * `asset_alias_asset_event`):
 * - `asset_event`: one row per event a successful task emitted (or an operator seeded), with its
 *   source task instance and `partition_key`. `asset_event_emission_key` (source try, asset,
 *   emission) is what makes an emission idempotent: a second insert of the same event by the same
 *   try is `ON CONFLICT DO NOTHING`, never a unique violation. NULL source ids (seeded events) are
 *   distinct, so seeding never collides. No foreign key to `task_instance`: an event outlives the
 *   try that emitted it (a retry archives the try and changes the live row's id), as in Airflow.
 * - `asset_alias` and its links: the aliases an outlet event was emitted through, and the assets an
 *   alias has resolved to (`GET /execution/assets/by-alias`).
 * New tables only, so a rolling deploy needs nothing.
 */
export class Migration20261206130000_assets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table asset_alias (
        id serial primary key,
        name varchar(1500) not null,
        "group" varchar(1500) not null default '',
        constraint asset_alias_name_key unique (name)
      );`);
    this.addSql(`
      create table asset_alias_asset (
        alias_id integer not null,
        asset_id integer not null,
        constraint asset_alias_asset_pkey primary key (alias_id, asset_id),
        constraint asset_alias_asset_alias_fkey foreign key (alias_id) references asset_alias (id) on delete cascade,
        constraint asset_alias_asset_asset_fkey foreign key (asset_id) references asset (id) on delete cascade
      );`);
    this.addSql(`
      create table asset_event (
        id serial primary key,
        asset_id integer not null,
        extra jsonb not null default '{}',
        partition_key varchar(250) null,
        source_task_instance_id uuid null,
        source_dag_id varchar(250) null,
        source_task_id varchar(250) null,
        source_run_id varchar(250) null,
        source_map_index integer not null default -1,
        emission varchar(100) not null default '',
        "timestamp" timestamptz not null,
        constraint asset_event_emission_key unique (source_task_instance_id, asset_id, emission),
        constraint asset_event_asset_fkey foreign key (asset_id) references asset (id) on delete cascade
      );`);
    this.addSql('create index asset_event_asset_id_timestamp_idx on asset_event (asset_id, "timestamp");');
    this.addSql(`
      create table asset_alias_asset_event (
        alias_id integer not null,
        event_id integer not null,
        constraint asset_alias_asset_event_pkey primary key (alias_id, event_id),
        constraint asset_alias_asset_event_alias_fkey foreign key (alias_id) references asset_alias (id) on delete cascade,
        constraint asset_alias_asset_event_event_fkey foreign key (event_id) references asset_event (id) on delete cascade
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists asset_alias_asset_event;');
    this.addSql('drop table if exists asset_event;');
    this.addSql('drop table if exists asset_alias_asset;');
    this.addSql('drop table if exists asset_alias;');
  }
}
