import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { JsonObject } from '../../common/json/json-value';

/** A trigger a deferred task waits on. A triggerer (not part of this service) runs it. */
@Entity({ tableName: 'trigger' })
export class Trigger {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 1000 })
  classpath!: string;

  /** The trigger's constructor arguments: an object, or a string the worker encrypted. */
  @Property({ type: 'json' })
  kwargs!: JsonObject | string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdDate!: Date;

  @Property({ type: 'integer', nullable: true })
  triggererId?: number | null;

  /** The triggerer queue the task asked for (`TIDeferredStatePayload.queue`); null: any triggerer. */
  @Property({ type: 'string', length: 256, nullable: true })
  queue?: string | null;
}
