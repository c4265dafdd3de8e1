import { Migration } from '@mikro-orm/migrations';

/**
 * Airflow's `variable` and `connection` tables, keyed by their natural keys (Airflow adds an
 * integer id nobody outside the database uses). Values, passwords and extras are text: a Fernet
 * token when FERNET_KEY is set (`is_encrypted`, `is_extra_encrypted`), else the value itself.
 */
export class Migration20261206120000_variables_connections extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table variable (
        key varchar(250) not null,
        val text null,
        description text null,
        is_encrypted boolean not null default false,
        updated_at timestamptz not null default now(),
        constraint variable_pkey primary key (key),
        constraint variable_key_check check (length(key) >= 1)
      );`);
    this.addSql(`
      create table connection (
        conn_id varchar(250) not null,
        conn_type varchar(500) not null,
        description text null,
        host varchar(500) null,
        "schema" varchar(500) null,
        login text null,
        password text null,
        port integer null,
        extra text null,
        is_encrypted boolean not null default false,
        is_extra_encrypted boolean not null default false,
        updated_at timestamptz not null default now(),
        constraint connection_pkey primary key (conn_id),
        constraint connection_conn_id_check check (length(conn_id) >= 1)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists connection;');
    this.addSql('drop table if exists variable;');
  }
}
