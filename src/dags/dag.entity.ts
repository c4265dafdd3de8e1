import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A dag the control plane registered (Airflow's `DagModel`, reduced to what the execution API
 * answers). A dag is "known" to the dag-run routes when it has a row here or any dag run (see
 * `DagRunsService.assertDagKnown`). The table is `Migration20261206140000_dag_runs`.
 */
@Entity({ tableName: 'dag' })
@Check({ name: 'dag_tags_check', expression: "jsonb_typeof(tags) = 'array'" })
export class Dag {
  [OptionalProps]?: 'isPaused' | 'tags' | 'hasImportErrors';

  @PrimaryKey({ type: 'string', length: 250 })
  dagId!: string;

  @Property({ type: 'boolean', default: false })
  isPaused: boolean = false;

  @Property({ type: 'string', length: 250, nullable: true })
  bundleName?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  bundleVersion?: string | null;

  @Property({ type: 'string', length: 2000, nullable: true })
  relativeFileloc?: string | null;

  /** Comma-separated, as Airflow stores `DagModel.owners`. */
  @Property({ type: 'string', length: 2000, nullable: true })
  owners?: string | null;

  /** Tag names (a JSON array of strings). */
  @Property({ type: 'json', default: '[]' })
  tags: string[] = [];

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  nextDagrun?: Date | null;

  /** Airflow refuses to trigger or clear a dag whose file failed to import (400 `import_errors`). */
  @Property({ type: 'boolean', default: false })
  hasImportErrors: boolean = false;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt!: Date;
}
