import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { JsonTextType } from '../../common/json/json-text.type';

/** A trigger a deferred task waits on. A triggerer (not part of this service) runs it. */
@Entity({ tableName: 'trigger' })
export class Trigger {
  @PrimaryKey({ type: 'integer', autoincrement: true, generated: 'by default as identity' })
  id!: number;

  @Property({ type: 'string', length: 1000 })
  classpath!: string;

  /** The trigger's constructor arguments as JSON text (`JsonTextType`): an object, or the JSON string the worker encrypted. */
  @Property({ type: JsonTextType, columnType: 'jsonb' })
  kwargs!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdDate!: Date;

  @Property({ type: 'integer', nullable: true })
  triggererId?: number | null;

  /** The triggerer queue the task asked for (`TIDeferredStatePayload.queue`); null: any triggerer. */
  @Property({ type: 'string', length: 256, nullable: true })
  queue?: string | null;
}
