import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { VerifiedToken } from '../common/auth/token-claims';
import { parseExactJson, stringifyExactJson, type ExactJsonValue } from '../common/json/exact-json';
import { DomainError } from '../common/problem/domain-error';
import type { StartingTaskInstance, TaskStartContribution, TaskStartHookHandler } from '../task-instances/task-start.hooks';
import { TaskStartHook } from '../task-instances/task-start.hooks';
import { classifyDbError } from '../common/unit-of-work/sqlstate';
import { slicePositions } from './python-slice';
import { TASK_MAP_KEY_FIELDS, TaskMap } from './task-map.entity';
import { XComAccess } from './xcom-access';
import type { XComSeries } from './xcom-params';
import { XCOM_KEY_FIELDS, XCom } from './xcom.entity';
import { XCOM_PROBLEMS, xcomNotFound } from './xcom.problems';
import { XCOM_SETTINGS, type XComSettings } from './xcom.settings';

/** One XCom: a series and a map index. */
export type XComAddress = XComSeries & { mapIndex: number };
export type { XComSeries };

/** Foreign keys that mean "the task instance went away while this write ran". */
const TASK_INSTANCE_FKEYS = new Set(['xcom_ti_fkey', 'task_map_ti_fkey']);

/**
 * How rows of one series are ordered when positions count (`offset`, `item`, `slice`): by map
 * index, and among equal map indexes (only with `include_prior_dates`) the newest run first.
 * Fixed SQL text: no part of it comes from the request.
 */
const BY_POSITION = {
  asc: 'x.map_index asc, coalesce(dr.logical_date, dr.run_after) desc, x.run_id desc',
  desc: 'x.map_index desc, coalesce(dr.logical_date, dr.run_after) desc, x.run_id desc',
} as const;

/** Newest first, as Airflow's `get_many` orders (`logical_date desc, timestamp desc`). */
const NEWEST_FIRST = 'coalesce(dr.logical_date, dr.run_after) desc, x.timestamp desc, x.run_id desc';

/**
 * The rows of a series: the given run only, or (`include_prior_dates`) every run of the dag whose
 * `coalesce(logical_date, run_after)` is not after the given run's. Values are read as text and
 * parsed with `parseExactJson`, so numbers come back exactly as stored.
 */
function seriesSql(includePriorDates: boolean, extra: string, order: string, paging: string): string {
  const runs = includePriorDates
    ? `x.run_id in (select p.run_id from dag_run p join dag_run g on g.dag_id = p.dag_id
                     where g.dag_id = ? and g.run_id = ?
                       and coalesce(p.logical_date, p.run_after) <= coalesce(g.logical_date, g.run_after))`
    : 'x.run_id = ?';
  return `select x.value::text as value from xcom x
    join dag_run dr on dr.dag_id = x.dag_id and dr.run_id = x.run_id
    where x.dag_id = ? and x.task_id = ? and x.key = ? and ${runs}${extra}
    order by ${order}${paging}`;
}

function seriesParams(s: XComSeries, includePriorDates: boolean): unknown[] {
  return [s.dagId, s.taskId, s.key, ...(includePriorDates ? [s.dagId, s.runId] : [s.runId])];
}

/**
 * Airflow's XCom routes on this service's conflict layer. The write is one atomic
 * `INSERT … ON CONFLICT DO UPDATE` in the route's unit of work, where Airflow deletes then inserts
 * and answers 409 to the second of two overlapping writes (apache/airflow#69956).
 */
@Injectable()
@TaskStartHook({})
export class XComService implements TaskStartHookHandler {
  constructor(
    private readonly em: EntityManager,
    private readonly access: XComAccess,
    @Inject(XCOM_SETTINGS.token) private readonly settings: XComSettings,
  ) {}

  /**
   * Sets (overwrites) one XCom and, with `mappedLength`, the task map of its task instance, in the
   * route's unit of work: the locked access check, both upserts, one commit.
   */
  async set(token: VerifiedToken, address: XComAddress, value: ExactJsonValue, mappedLength: number | undefined): Promise<void> {
    await this.access.lockForWrite(token, address);
    if (mappedLength !== undefined && mappedLength > this.settings.maxMapLength) {
      throw XCOM_PROBLEMS.error(
        'unmappable_return_value_length',
        "pushed value is too large to map as a downstream's dependency",
        'unmappable_return_value_length',
        {
          max_map_length: this.settings.maxMapLength,
        },
      );
    }
    const owner = { dagId: address.dagId, taskId: address.taskId, runId: address.runId, mapIndex: address.mapIndex };
    try {
      if (mappedLength !== undefined) {
        await this.em.upsert(
          TaskMap,
          { ...owner, length: mappedLength, keys: null },
          {
            onConflictFields: [...TASK_MAP_KEY_FIELDS],
            onConflictAction: 'merge',
            onConflictMergeFields: ['length', 'keys'],
            disableIdentityMap: true,
          },
        );
      }
      await this.em.upsert(
        XCom,
        // em.upsert skips onUpdate hooks: the timestamp is set here, on insert and update alike.
        // The document as text: one opaque value for em.upsert, exact numbers written verbatim.
        { ...owner, key: address.key, value: stringifyExactJson(value), timestamp: new Date() },
        { onConflictFields: [...XCOM_KEY_FIELDS], onConflictAction: 'merge', onConflictMergeFields: ['value', 'timestamp'], disableIdentityMap: true },
      );
    } catch (error) {
      // The row lock above keeps the task instance while this write runs, so this means it was
      // deleted by a path that does not take it; either way it is gone: 404, not a conflict to retry.
      const failure = classifyDbError(error);
      if (failure?.kind === 'foreign_key_violation' && failure.constraint !== undefined && TASK_INSTANCE_FKEYS.has(failure.constraint)) {
        throw new DomainError('not_found', `Task instance ${token.sub} not found.`, 'not_found', { task_instance_id: token.sub });
      }
      throw error;
    }
  }

  /** Deletes one XCom; deleting a missing one is a success, as in Airflow. */
  async delete(token: VerifiedToken, address: XComAddress): Promise<void> {
    await this.access.lockForWrite(token, address);
    await this.em.nativeDelete(XCom, { dagId: address.dagId, taskId: address.taskId, runId: address.runId, key: address.key, mapIndex: address.mapIndex });
  }

  /**
   * One value: at `mapIndex` (newest run first with `include_prior_dates`), or with `offset` the
   * offset-th non-null value by map index (negative: from the end), as Airflow's `GET`.
   */
  async get(series: XComSeries, query: { mapIndex: number; includePriorDates: boolean; offset?: number }): Promise<ExactJsonValue> {
    const params = seriesParams(series, query.includePriorDates);
    let sql: string;
    if (query.offset === undefined) {
      sql = seriesSql(query.includePriorDates, ' and x.map_index = ?', NEWEST_FIRST, ' limit 1');
      params.push(query.mapIndex);
    } else {
      const fromEnd = query.offset < 0;
      sql = seriesSql(query.includePriorDates, " and jsonb_typeof(x.value) <> 'null'", fromEnd ? BY_POSITION.desc : BY_POSITION.asc, ' limit 1 offset ?');
      params.push(fromEnd ? -1 - query.offset : query.offset);
    }
    const [row] = await this.em.execute<{ value: string }[]>(sql, params);
    if (row === undefined) throw xcomNotFound(series, query.offset === undefined ? { mapIndex: query.mapIndex } : { offset: query.offset });
    return parseExactJson(row.value);
  }

  /** How many values the series holds in its run, all map indexes (`HEAD`). */
  async count(series: XComSeries): Promise<number> {
    const [row] = await this.em.execute<{ n: number }[]>('select count(*)::int as n from xcom where dag_id = ? and task_id = ? and key = ? and run_id = ?', [
      series.dagId,
      series.taskId,
      series.key,
      series.runId,
    ]);
    return row.n;
  }

  /** The value at a position of the series by map index, nulls included (negative: from the end). */
  async item(series: XComSeries, offset: number): Promise<ExactJsonValue> {
    const fromEnd = offset < 0;
    const sql = seriesSql(false, '', fromEnd ? BY_POSITION.desc : BY_POSITION.asc, ' limit 1 offset ?');
    const [row] = await this.em.execute<{ value: string }[]>(sql, [...seriesParams(series, false), fromEnd ? -1 - offset : offset]);
    if (row === undefined) throw xcomNotFound(series, { offset });
    return parseExactJson(row.value);
  }

  /**
   * `series[start:stop:step]` in Python's semantics, over the values ordered by map index. One
   * statement reads the series (one snapshot: a concurrent write cannot shift positions between a
   * count and a read); the slice is taken here, exactly as Python would (`slicePositions`).
   */
  async slice(series: XComSeries, query: { start?: number; stop?: number; step?: number; includePriorDates: boolean }): Promise<ExactJsonValue[]> {
    const rows = await this.em.execute<{ value: string }[]>(
      seriesSql(query.includePriorDates, '', BY_POSITION.asc, ''),
      seriesParams(series, query.includePriorDates),
    );
    return slicePositions(rows.length, query.start, query.stop, query.step).map((i) => parseExactJson(rows[i].value));
  }

  /** `PATCH …/run`: a new try (not a resume from deferral) clears the keys its task instance holds. */
  async onTaskStart(em: EntityManager, ti: StartingTaskInstance): Promise<TaskStartContribution> {
    if (ti.resuming) return {};
    const rows = await em.execute<{ key: string }[]>(
      'select distinct key from xcom where dag_id = ? and task_id = ? and run_id = ? and map_index = ? order by key',
      [ti.dagId, ti.taskId, ti.runId, ti.mapIndex],
    );
    return { xcomKeysToClear: rows.map((r) => r.key) };
  }
}
