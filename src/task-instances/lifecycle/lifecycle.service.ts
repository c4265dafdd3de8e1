import { EntityManager } from '@mikro-orm/postgresql';
import { TaskStartHooks } from '../task-start.hooks';
import { TaskSuccessHooks } from '../task-success.hooks';
import { Injectable, Logger } from '@nestjs/common';
import { parseExactJson, stringifyExactJson } from '../../common/json/exact-json';
import type { JsonObject } from '../../common/json/json-value';
import { DagRun } from '../../dag-runs/dag-run.entity';
import type { TIHeartbeatInfo } from './dto/heartbeat.dto';
import { PrevSuccessfulDagRunResponse } from './dto/previous-successful-dag-run.dto';
import { DagRunContext } from '../../dag-runs/dag-run-context.dto';
import type { TIEnterRunningPayload, TIRunContext } from './dto/run.dto';
import type { TISkippedDownstreamTasksStatePayload } from './dto/skip-downstream.dto';
import {
  RETRY_REASON_MAX_LENGTH,
  type TIAwaitingInputStatePayload,
  type TIDeferredStatePayload,
  type TIRescheduleStatePayload,
  type TIStateUpdate,
} from './dto/state-update.dto';
import { archiveTry } from '../archive-try';
import { parseIsoDuration } from './iso-duration';
import type { TaskInstanceState } from '../task-instance-state';
import { TaskInstance } from '../task-instance.entity';
import { TaskInstanceLookup } from '../task-instance.lookup';
import { InvalidStateError, NotRunningError, RunningElsewhereError } from '../task-instances.errors';
import { TaskReschedule } from './task-reschedule.entity';
import { Trigger } from './trigger.entity';

/** What a `PATCH /state` did: `unchanged` when the task instance was already in the requested state. */
export type StateUpdateOutcome = 'updated' | 'unchanged';

const RUN_FROM: ReadonlySet<TaskInstanceState> = new Set(['queued', 'restarting']);

/** Airflow's `retry_reason[:500]`, counted in characters (code points) as `varchar(500)` counts them. */
function truncateRetryReason(reason: string | null | undefined): string | null {
  if (reason == null || reason === '') return null;
  return reason.length <= RETRY_REASON_MAX_LENGTH ? reason : Array.from(reason).slice(0, RETRY_REASON_MAX_LENGTH).join('');
}

/** Seconds between two instants, or null without a start (Airflow's `duration`). */
function secondsBetween(start: Date | null | undefined, end: Date): number | null {
  return start ? (end.getTime() - start.getTime()) / 1000 : null;
}

/**
 * The worker side of a task instance's life: `/run`, `/state`, `/heartbeat`, `/skip-downstream`
 * and `/previous-successful-dagrun`, with Airflow 3's semantics. Every method runs in a unit of work;
 * transitions lock the row (`FOR NO KEY UPDATE`) so that concurrent calls for one task instance
 * are decided one after the other, and a heartbeat is one conditional UPDATE.
 */
@Injectable()
export class LifecycleService {
  private readonly logger = new Logger('Lifecycle');

  constructor(
    private readonly em: EntityManager,
    private readonly lookup: TaskInstanceLookup,
    private readonly startHooks: TaskStartHooks,
    private readonly successHooks: TaskSuccessHooks,
  ) {}

  /**
   * `queued`/`restarting` → `running`, or the same context again for a duplicate request from the
   * same host, unixname and pid (a client that never saw the first answer). Anything else is 409
   * `invalid_state`, including `running` under another pid.
   */
  async run(id: string, payload: TIEnterRunningPayload): Promise<TIRunContext> {
    const ti = await this.lookup.findLive(id, 'no key update');
    const previousState = ti.state;
    const duplicate = previousState === 'running' && ti.hostname === payload.hostname && ti.unixname === payload.unixname && ti.pid === payload.pid;
    if (duplicate) {
      this.logger.log({ msg: 'duplicate start request', task_instance_id: id });
    } else {
      if (!RUN_FROM.has(previousState)) throw new InvalidStateError(previousState, 'TI was not in a state where it could be marked as running');
      const now = new Date();
      // A task resuming from deferral keeps the start of its try.
      const resuming = ti.nextMethod != null;
      await this.em.nativeUpdate(
        TaskInstance,
        { id },
        {
          state: 'running',
          hostname: payload.hostname,
          unixname: payload.unixname,
          pid: payload.pid,
          endDate: null,
          lastHeartbeatAt: now,
          updatedAt: now,
          // The retry policy of the previous try is spent once a try runs (Airflow's ti_run clears both).
          retryDelayOverride: null,
          retryReason: null,
          ...(resuming ? {} : { startDate: new Date(payload.start_date) }),
        },
      );
    }

    // Other modules' part of the context (the XCom keys this task instance holds), same unit of work.
    const contributed = await this.startHooks.contribute(this.em, {
      id,
      dagId: ti.dagId,
      runId: ti.runId,
      taskId: ti.taskId,
      mapIndex: ti.mapIndex,
      resuming: ti.nextMethod != null,
    });
    const run = await this.em.findOneOrFail(DagRun, { dagId: ti.dagId, runId: ti.runId });
    const rescheduleCount = await this.em.count(TaskReschedule, { tiId: id });
    // A reschedule-mode sensor measures its timeout from the try's first poke (API 2026-06-30).
    const firstReschedule = rescheduleCount > 0 ? await this.em.findOne(TaskReschedule, { tiId: id }, { orderBy: { id: 'asc' }, fields: ['startDate'] }) : null;
    return {
      dag_run: DagRunContext.from(run),
      task_reschedule_count: rescheduleCount,
      first_task_reschedule_start_date: firstReschedule ? firstReschedule.startDate.toISOString() : null,
      max_tries: ti.maxTries,
      variables: [],
      connections: [],
      ...(ti.nextMethod != null
        ? {
            next_method: ti.nextMethod,
            next_kwargs: ti.nextKwargs == null ? null : (parseExactJson(ti.nextKwargs) as JsonObject | string),
            start_date: ti.startDate ? ti.startDate.toISOString() : null,
          }
        : {}),
      xcom_keys_to_clear: contributed.xcomKeysToClear,
      should_retry: previousState === 'restarting' || (ti.maxTries !== 0 && ti.tryNumber <= ti.maxTries),
    };
  }

  /**
   * Ends or suspends the running try. The requested state equal to the stored one is a no-op
   * (`unchanged`, answered 200); any other state than `running` is 409 `invalid_state`.
   */
  async updateState(id: string, payload: TIStateUpdate): Promise<StateUpdateOutcome> {
    const ti = await this.lookup.findLive(id, 'no key update');
    if (payload.state === ti.state) return 'unchanged';
    if (ti.state !== 'running') throw new InvalidStateError(ti.state, 'TI was not in the running state so it cannot be updated');

    switch (payload.state) {
      case 'success':
        // Other modules' part of a success (asset events), before the transition: a hook that
        // refuses the outlets (422 invalid_partition_key) leaves nothing written.
        await this.successHooks.run(this.em, {
          id: ti.id,
          dagId: ti.dagId,
          runId: ti.runId,
          taskId: ti.taskId,
          mapIndex: ti.mapIndex,
          taskOutlets: payload.task_outlets ?? [],
          outletEvents: payload.outlet_events ?? [],
        });
        await this.finish(ti, payload.state, new Date(payload.end_date), payload.rendered_map_index);
        break;
      case 'failed':
      case 'skipped':
      case 'removed':
      case 'upstream_failed':
        await this.finish(ti, payload.state, new Date(payload.end_date), payload.rendered_map_index);
        break;
      case 'up_for_retry':
        await this.finish(ti, 'up_for_retry', new Date(payload.end_date), payload.rendered_map_index, {
          retryDelayOverride: payload.retry_delay_seconds ?? null,
          retryReason: truncateRetryReason(payload.retry_reason),
        });
        await archiveTry(this.em, ti.id);
        break;
      case 'up_for_reschedule':
        await this.reschedule(ti, payload);
        break;
      case 'deferred':
        await this.defer(ti, payload);
        break;
      case 'awaiting_input':
        await this.awaitInput(ti, payload);
        break;
      default: {
        const never: never = payload;
        throw new Error(`unhandled state payload ${JSON.stringify(never)}`);
      }
    }
    return 'updated';
  }

  /** Terminal states and up_for_retry: end date, duration, and no more `next_*` for later tries. */
  private async finish(
    ti: TaskInstance,
    state: TaskInstanceState,
    endDate: Date,
    renderedMapIndex: string | null | undefined,
    retry: Pick<TaskInstance, 'retryDelayOverride' | 'retryReason'> = {},
  ): Promise<void> {
    await this.em.nativeUpdate(
      TaskInstance,
      { id: ti.id },
      {
        ...retry,
        state,
        endDate,
        duration: secondsBetween(ti.startDate, endDate),
        nextMethod: null,
        nextKwargs: null,
        updatedAt: new Date(),
        ...(renderedMapIndex !== undefined ? { renderedMapIndex } : {}),
      },
    );
  }

  private async reschedule(ti: TaskInstance, payload: TIRescheduleStatePayload): Promise<void> {
    const now = new Date();
    const endDate = new Date(payload.end_date);
    await this.em.insert(TaskReschedule, {
      tiId: ti.id,
      startDate: now,
      endDate,
      duration: (endDate.getTime() - now.getTime()) / 1000,
      rescheduleDate: new Date(payload.reschedule_date),
    });
    await this.em.nativeUpdate(
      TaskInstance,
      { id: ti.id },
      { state: 'up_for_reschedule', endDate, duration: secondsBetween(ti.startDate, endDate), nextMethod: null, nextKwargs: null, updatedAt: now },
    );
  }

  private async defer(ti: TaskInstance, payload: TIDeferredStatePayload): Promise<void> {
    const now = new Date();
    const triggerId = (await this.em.insert(Trigger, {
      classpath: payload.classpath,
      kwargs: stringifyExactJson(payload.trigger_kwargs ?? {}),
      createdDate: now,
      queue: payload.queue ?? null,
    })) as number;
    // Validated by the DTO, so the parse cannot fail here.
    const timeoutMs = payload.trigger_timeout != null ? parseIsoDuration(payload.trigger_timeout) : undefined;
    await this.em.nativeUpdate(
      TaskInstance,
      { id: ti.id },
      {
        state: 'deferred',
        triggerId,
        nextMethod: payload.next_method,
        nextKwargs: stringifyExactJson(payload.next_kwargs ?? {}),
        triggerTimeout: timeoutMs !== undefined ? new Date(now.getTime() + timeoutMs) : null,
        updatedAt: now,
        ...(payload.rendered_map_index !== undefined ? { renderedMapIndex: payload.rendered_map_index } : {}),
      },
    );
  }

  /**
   * Parks the try until a human answers (Airflow's HITL `awaiting_input`): no trigger, the answer's
   * deadline in `trigger_timeout`, `next_method`/`next_kwargs` for the resume. Resuming goes back
   * through `scheduled`/`queued` (what answers the human, or the deadline, decides), then `/run`,
   * which finds `next_method` set and keeps the try's start date, as after a deferral.
   */
  private async awaitInput(ti: TaskInstance, payload: TIAwaitingInputStatePayload): Promise<void> {
    const now = new Date();
    // Validated by the DTO, so the parse cannot fail here.
    const timeoutMs = payload.timeout != null ? parseIsoDuration(payload.timeout) : undefined;
    // Airflow's shortcut: a human already answered (the HITL module's hitl_detail, written before
    // this try parked), so there is nothing to wait for: straight to scheduled, next_* kept for the
    // resume. The row lock held here is the one an answer takes first, so an answer committed
    // before this read is seen, and one committed after it finds the task parked and requeues it.
    const [answered] = await this.em.execute<{ answered: boolean }[]>('select chosen_options is not null as answered from hitl_detail where ti_id = ?', [
      ti.id,
    ]);
    await this.em.nativeUpdate(
      TaskInstance,
      { id: ti.id },
      {
        state: answered?.answered ? 'scheduled' : 'awaiting_input',
        triggerId: null,
        nextMethod: payload.next_method,
        nextKwargs: payload.next_kwargs == null ? null : stringifyExactJson(payload.next_kwargs),
        triggerTimeout: timeoutMs !== undefined ? new Date(now.getTime() + timeoutMs) : null,
        updatedAt: now,
        ...(payload.rendered_map_index !== undefined ? { renderedMapIndex: payload.rendered_map_index } : {}),
      },
    );
  }

  /**
   * One conditional UPDATE on the common path (running here, same host and pid). Only a miss reads
   * the row, under lock, to explain it: 410/404, then `running_elsewhere` (checked first, as Airflow
   * does), then `not_running`. The UPDATE never touches `state`, so a heartbeat racing a state change
   * waits for it, re-checks `state = 'running'` on the new row, and misses: the final state stays.
   */
  async heartbeat(id: string, payload: TIHeartbeatInfo): Promise<void> {
    const now = new Date();
    const hit = await this.em.execute<{ affectedRows: number }>(
      `update task_instance set last_heartbeat_at = ?, updated_at = ?
        where id = ? and state = 'running' and hostname = ? and pid = ?`,
      [now, now, id, payload.hostname, payload.pid],
      'run',
    );
    if (hit.affectedRows === 1) return;

    const ti = await this.lookup.findLive(id, 'no key update');
    if (ti.hostname !== payload.hostname || ti.pid !== payload.pid) throw new RunningElsewhereError(ti.hostname ?? null, ti.pid ?? null);
    if (ti.state !== 'running') throw new NotRunningError(ti.state);
    // Became running on this host and pid between the UPDATE and the read.
    await this.em.nativeUpdate(TaskInstance, { id }, { lastHeartbeatAt: now, updatedAt: now });
  }

  /**
   * Skips the listed tasks of the same dag run unless they are running or finished (success,
   * failed), as Airflow does since #59378; already skipped ones are left as they are, so a repeat
   * changes nothing. A bare task id means map index -1. The rows are locked in id order before the
   * UPDATE: two calls over overlapping lists in different orders would otherwise deadlock.
   */
  async skipDownstream(id: string, payload: TISkippedDownstreamTasksStatePayload): Promise<number> {
    const ti = await this.lookup.findLive(id, 'none');
    if (payload.tasks.length === 0) return 0;
    const refs = payload.tasks.map((t) => (typeof t === 'string' ? { task_id: t, map_index: -1 } : { task_id: t[0], map_index: t[1] }));
    const now = new Date();
    const result = await this.em.execute<{ affectedRows: number }>(
      `with targets as (
         select ti.id from task_instance ti
           join jsonb_to_recordset(?::jsonb) as t(task_id text, map_index integer)
             on ti.task_id = t.task_id and ti.map_index = t.map_index
          where ti.dag_id = ? and ti.run_id = ? and ti.state not in ('running', 'success', 'failed', 'skipped')
          order by ti.id
          for no key update of ti)
       update task_instance ti set state = 'skipped', start_date = ?, end_date = ?, updated_at = ?
         from targets
        where ti.id = targets.id and ti.state not in ('running', 'success', 'failed', 'skipped')`,
      [JSON.stringify(refs), ti.dagId, ti.runId, now, now, now],
      'run',
    );
    return result.affectedRows;
  }

  /** The latest successful run of the dag before this run's logical date; all null when none. */
  async previousSuccessfulDagRun(id: string): Promise<PrevSuccessfulDagRunResponse> {
    const ti = await this.lookup.findLive(id, 'none');
    const run = await this.em.findOne(DagRun, { dagId: ti.dagId, runId: ti.runId }, { fields: ['logicalDate'] });
    if (!run?.logicalDate) return PrevSuccessfulDagRunResponse.from(null);
    const previous = await this.em.findOne(
      DagRun,
      { dagId: ti.dagId, state: 'success', logicalDate: { $lt: run.logicalDate } },
      { orderBy: { logicalDate: 'desc' } },
    );
    return PrevSuccessfulDagRunResponse.from(previous);
  }
}
