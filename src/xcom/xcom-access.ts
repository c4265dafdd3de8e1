import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { WrongTaskInstanceError } from '../common/auth/auth.errors';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { VerifiedToken } from '../common/auth/token-claims';
import { DomainError } from '../common/problem/domain-error';
import { TaskInstanceLookup } from '../task-instances/task-instance.lookup';
import { mapIndexOf, seriesOf } from './xcom-params';
import { XCOM_SETTINGS, type XComSettings } from './xcom.settings';

/** The task instance an XCom write names: path `dag_id`, `run_id`, `task_id` and query `map_index`. */
export interface XComOwner {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

/** A read by a task of another dag, refused under `XCOM_READ_SCOPE=same_dag`. */
export class WrongDagError extends DomainError {
  constructor(tokenDagId: string) {
    super('forbidden', 'The token was issued for a task instance of another dag; a task reads the XComs of its own dag only.', 'wrong_dag', {
      token_dag_id: tokenDagId,
    });
  }
}

const sameOwner = (ti: XComOwner, owner: XComOwner): boolean =>
  ti.dagId === owner.dagId && ti.runId === owner.runId && ti.taskId === owner.taskId && ti.mapIndex === owner.mapIndex;

/** The XComs a read names: path `dag_id`, `run_id`, `task_id` (every map index and key of them). */
export interface XComSeries {
  dagId: string;
  runId: string;
  taskId: string;
}

/**
 * Who may read and write which XComs: the replaceable part of the access check. `XComAccess`
 * calls it with the token's task instance, already known to be live (an archived try's token is
 * 410, an unknown one 404, before any policy runs). Replace it by providing another class under
 * `XCOM_ACCESS_POLICY` in `XComModule` (see docs/security.md).
 */
export interface XComAccessPolicy {
  /** Throws a `DomainError` (a 4xx) when `reader` may not read `series`. */
  checkRead(reader: XComOwner, series: XComSeries): void;
  /** Whether `writer` may set or delete the value of `owner` (false: 403 `wrong_task_instance`). */
  mayWrite(writer: XComOwner, owner: XComOwner): boolean;
}

export const XCOM_ACCESS_POLICY = Symbol('XCOM_ACCESS_POLICY');

/**
 * The default policy. Reads follow `XCOM_READ_SCOPE`: `any_dag` (default) is Airflow's rule, whose
 * `has_xcom_access` lets any task token read any XCom, so `xcom_pull(dag_id="other")` works;
 * `same_dag` limits a task to its own dag (403 `wrong_dag`). Writes and deletes are stricter than
 * Airflow on purpose: only the task instance the path and `map_index` name, since the Task SDK
 * only ever writes its own XComs and a token of another task could otherwise overwrite them.
 */
@Injectable()
export class DefaultXComAccessPolicy implements XComAccessPolicy {
  constructor(@Inject(XCOM_SETTINGS.token) private readonly settings: XComSettings) {}

  checkRead(reader: XComOwner, series: XComSeries): void {
    if (this.settings.readScope === 'same_dag' && reader.dagId !== series.dagId) throw new WrongDagError(reader.dagId);
  }

  mayWrite(writer: XComOwner, owner: XComOwner): boolean {
    return sameOwner(writer, owner);
  }
}

/**
 * The routes' access check, declared with `@TaskInstanceFrom({ resolver: XComAccess })`; what is
 * allowed is the `XComAccessPolicy`'s decision. Either way the token's task instance must be live:
 * an id archived with its try answers 410, an unknown one 404 (`TaskInstanceLookup`), so a stale
 * try neither writes nor reads.
 */
@Injectable()
export class XComAccess implements TaskInstanceResolver {
  constructor(
    private readonly lookup: TaskInstanceLookup,
    @Inject(XCOM_ACCESS_POLICY) private readonly policy: XComAccessPolicy,
  ) {}

  /** The guard's check, before the handler (one indexed read, no lock, outside any transaction). */
  async resolve(req: Request, token: VerifiedToken): Promise<string | undefined> {
    const params = req.params as Record<string, unknown>;
    const series = seriesOf(params);
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const owner = write ? { ...series, mapIndex: mapIndexOf((req.query as Record<string, unknown>).map_index) } : undefined;
    const ti = await this.lookup.findLive(token.sub, 'none');
    if (owner === undefined) {
      this.policy.checkRead(ti, series);
      return ti.id;
    }
    return this.policy.mayWrite(ti, owner) ? ti.id : undefined;
  }

  /**
   * The write's own check, inside its unit of work: locks the token's task-instance row
   * `for key share` until commit, so the archive of its try (which changes the id) or its deletion
   * waits for this write, and a write that arrives after either finds the id gone (410/404) and
   * writes nothing. The guard's check ran before the transaction and cannot promise that.
   */
  async lockForWrite(token: VerifiedToken, owner: XComOwner): Promise<void> {
    const ti = await this.lookup.findLive(token.sub, 'key share');
    if (!this.policy.mayWrite(ti, owner)) throw new WrongTaskInstanceError(token.sub);
  }
}
