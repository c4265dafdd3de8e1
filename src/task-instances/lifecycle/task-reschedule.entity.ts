import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TaskInstance } from '../task-instance.entity';

/**
 * One `up_for_reschedule` of a try (a sensor in reschedule mode). Keyed to the live task-instance
 * id; the rows of a try are deleted when the try is archived, as Airflow does, so
 * `task_reschedule_count` in the run context counts the current try only.
 */
@Entity({ tableName: 'task_reschedule' })
@Index({ name: 'task_reschedule_ti_id_idx', properties: ['tiId'] })
export class TaskReschedule {
  @PrimaryKey({ type: 'integer', autoincrement: true, generated: 'by default as identity' })
  id!: number;

  /** `mapToPk`: counted and deleted by id; the task instance is never loaded through it. */
  @ManyToOne(() => TaskInstance, { fieldName: 'ti_id', mapToPk: true, deleteRule: 'cascade', foreignKeyName: 'task_reschedule_ti_fkey' })
  tiId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  startDate!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  endDate!: Date;

  @Property({ type: 'double' })
  duration!: number;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  rescheduleDate!: Date;
}
