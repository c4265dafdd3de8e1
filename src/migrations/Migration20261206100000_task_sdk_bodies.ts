import { Migration } from '@mikro-orm/migrations';

const STATES_BEFORE = `'none', 'scheduled', 'queued', 'running', 'success', 'restarting', 'failed', 'up_for_retry',
  'up_for_reschedule', 'upstream_failed', 'skipped', 'deferred', 'removed'`;
const STATES = `${STATES_BEFORE}, 'awaiting_input'`;

/**
 * What Task SDK 1.3 (Execution API 2026-06-30) bodies carry that had no place to go:
 * - `awaiting_input` (human-in-the-loop park) becomes a valid state of the live and archived rows;
 * - `TIRetryStatePayload.retry_delay_seconds` / `retry_reason` land on the task instance as
 *   Airflow stores them (`retry_delay_override`, `retry_reason` ≤ 500), read by whatever schedules
 *   the next try and cleared when a try starts running;
 * - `TIDeferredStatePayload.queue`: the triggerer queue, on the trigger row (Airflow's `Trigger.queue`).
 */
export class Migration20261206100000_task_sdk_bodies extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table task_instance
      drop constraint task_instance_state_check,
      add constraint task_instance_state_check check (state in (${STATES})),
      add column retry_delay_override double precision null,
      add column retry_reason varchar(500) null;`);
    this.addSql(`alter table task_instance_history
      drop constraint task_instance_history_state_check,
      add constraint task_instance_history_state_check check (state in (${STATES}));`);
    this.addSql(`alter table "trigger" add column queue varchar(256) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "trigger" drop column if exists queue;`);
    // Rows in the new state would violate the old check. A parked task goes back to the scheduler,
    // as an answered one would: its next_method makes the next /run resume it.
    this.addSql(`update task_instance_history set state = 'scheduled' where state = 'awaiting_input';`);
    this.addSql(`alter table task_instance_history
      drop constraint task_instance_history_state_check,
      add constraint task_instance_history_state_check check (state in (${STATES_BEFORE}));`);
    this.addSql(`update task_instance set state = 'scheduled' where state = 'awaiting_input';`);
    this.addSql(`alter table task_instance
      drop constraint task_instance_state_check,
      add constraint task_instance_state_check check (state in (${STATES_BEFORE})),
      drop column if exists retry_delay_override,
      drop column if exists retry_reason;`);
  }
}
