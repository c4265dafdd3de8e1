import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../common/json/json-text.type';
import { TaskInstance } from '../task-instances/task-instance.entity';

/** One person, as Airflow's `HITLUser` names them. */
export interface HitlUser {
  id: string;
  name: string;
}

/**
 * A human-in-the-loop question a task asked (`POST hitlDetails/{ti_id}`) and, once given, its
 * answer (`chosen_options` set: `response_received`). One row per task instance, keyed by its id;
 * the foreign key cascades on delete and on the id change of an archived try.
 * Written with explicit SQL statements (an atomic upsert, a conditional update), never a flush.
 */
@Entity({ tableName: 'hitl_detail' })
@Check({ name: 'hitl_detail_response_check', expression: '(chosen_options IS NULL) = (responded_at IS NULL)' })
export class HitlDetail {
  [OptionalProps]?: 'multiple' | 'params' | 'assignedUsers' | 'createdAt' | 'paramsInput';

  /** `mapToPk`: the key is the task instance's id; the task instance is never loaded through it. */
  @ManyToOne(() => TaskInstance, {
    primary: true,
    fieldName: 'ti_id',
    mapToPk: true,
    deleteRule: 'cascade',
    updateRule: 'cascade',
    foreignKeyName: 'hitl_detail_ti_fkey',
  })
  tiId!: string;

  @Property({ type: 'json', columnType: 'jsonb' })
  options!: string[];

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Property({ type: 'json', columnType: 'jsonb', nullable: true })
  defaults?: string[] | null;

  @Property({ type: 'boolean', default: false })
  multiple!: boolean;

  /** The form's parameters as JSON text (numbers exactly as sent). */
  @Property({ type: JsonTextType, columnType: 'jsonb', default: "'{}'" })
  params!: string;

  @Property({ type: 'json', columnType: 'jsonb', default: "'[]'" })
  assignedUsers!: HitlUser[];

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  respondedAt?: Date | null;

  @Property({ type: 'string', length: 250, nullable: true })
  respondedByUserId?: string | null;

  @Property({ type: 'string', length: 250, nullable: true })
  respondedByUserName?: string | null;

  @Property({ type: 'json', columnType: 'jsonb', nullable: true })
  chosenOptions?: string[] | null;

  /** What the human filled in the form, as JSON text. */
  @Property({ type: JsonTextType, columnType: 'jsonb', default: "'{}'" })
  paramsInput!: string;
}
