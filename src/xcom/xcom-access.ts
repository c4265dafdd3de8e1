import { Injectable } from '@nestjs/common';
import { WrongTaskInstanceError } from '../common/auth/auth.errors';
import type { VerifiedToken } from '../common/auth/token-claims';
import { DomainError } from '../common/problem/domain-error';
import { TaskInstanceLookup } from '../task-instances/task-instance.lookup';

/** The task instance an XCom route names: path `dag_id`, `run_id`, `task_id` and query `map_index`. */
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

/**
 * Who may touch which XCom (Airflow's `has_xcom_access` is a placeholder that allows everything):
 * - a write or delete needs the execution token of the very task instance the path and `map_index`
 *   name;
 * - a read needs an execution token of a live task instance of the same dag.
 * The token's task instance must be live: an id archived with its try answers 410, an unknown one
 * 404 (`TaskInstanceLookup`), so a stale try can neither write nor read.
 */
@Injectable()
export class XComAccess {
  constructor(private readonly lookup: TaskInstanceLookup) {}

  /**
   * Inside the write's unit of work: locks the token's task-instance row `for key share` until
   * commit, so the archive of its try (which changes the id) or its deletion waits for this write,
   * and a write arriving after either finds the id gone (410/404) and writes nothing.
   */
  async authorizeWrite(token: VerifiedToken, owner: XComOwner): Promise<void> {
    const ti = await this.lookup.findLive(token.sub, 'key share');
    if (ti.dagId !== owner.dagId || ti.runId !== owner.runId || ti.taskId !== owner.taskId || ti.mapIndex !== owner.mapIndex) {
      throw new WrongTaskInstanceError(token.sub);
    }
  }

  async authorizeRead(token: VerifiedToken, dagId: string): Promise<void> {
    const ti = await this.lookup.findLive(token.sub, 'none');
    if (ti.dagId !== dagId) throw new WrongDagError(ti.dagId);
  }
}
