import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { WrongTaskInstanceError } from '../common/auth/auth.errors';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { VerifiedToken } from '../common/auth/token-claims';
import { DomainError } from '../common/problem/domain-error';
import { TaskInstanceLookup } from '../task-instances/task-instance.lookup';
import { mapIndexOf, seriesOf } from './xcom-params';

/** The task instance an XCom write names: path `dag_id`, `run_id`, `task_id` and query `map_index`. */
export interface XComOwner {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

/** A read by a task of another dag. */
export class WrongDagError extends DomainError {
  constructor(tokenDagId: string) {
    super('forbidden', 'The token was issued for a task instance of another dag; a task reads the XComs of its own dag only.', 'wrong_dag', {
      token_dag_id: tokenDagId,
    });
  }
}

const sameOwner = (ti: XComOwner, owner: XComOwner): boolean =>
  ti.dagId === owner.dagId && ti.runId === owner.runId && ti.taskId === owner.taskId && ti.mapIndex === owner.mapIndex;

/**
 * Who may touch which XCom (Airflow's `has_xcom_access` is a placeholder that allows everything),
 * declared on the routes with `@TaskInstanceFrom({ resolver: XComAccess })`:
 * - a write or delete needs the execution token of the very task instance the path and
 *   `map_index` name (else 403 `wrong_task_instance`);
 * - a read needs an execution token of a task instance of the same dag (else 403 `wrong_dag`).
 * Either way the token's task instance must be live: an id archived with its try answers 410, an
 * unknown one 404 (`TaskInstanceLookup`), so a stale try neither writes nor reads.
 */
@Injectable()
export class XComAccess implements TaskInstanceResolver {
  constructor(private readonly lookup: TaskInstanceLookup) {}

  /** The guard's check, before the handler (one indexed read, no lock, outside any transaction). */
  async resolve(req: Request, token: VerifiedToken): Promise<string | undefined> {
    const params = req.params as Record<string, unknown>;
    const series = seriesOf(params);
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const owner = write ? { ...series, mapIndex: mapIndexOf((req.query as Record<string, unknown>).map_index) } : undefined;
    const ti = await this.lookup.findLive(token.sub, 'none');
    if (owner === undefined) {
      if (ti.dagId !== series.dagId) throw new WrongDagError(ti.dagId);
      return ti.id;
    }
    return sameOwner(ti, owner) ? ti.id : undefined;
  }

  /**
   * The write's own check, inside its unit of work: locks the token's task-instance row
   * `for key share` until commit, so the archive of its try (which changes the id) or its deletion
   * waits for this write, and a write that arrives after either finds the id gone (410/404) and
   * writes nothing. The guard's check ran before the transaction and cannot promise that.
   */
  async lockForWrite(token: VerifiedToken, owner: XComOwner): Promise<void> {
    const ti = await this.lookup.findLive(token.sub, 'key share');
    if (!sameOwner(ti, owner)) throw new WrongTaskInstanceError(token.sub);
  }
}
