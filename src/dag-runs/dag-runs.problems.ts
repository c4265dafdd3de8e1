import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/**
 * The problem codes the dag-run module owns; reasons and messages are Airflow's (`routes/dag_runs.py`,
 * `routes/dags.py`). No extension members: Airflow's `detail` holds only `reason` and `message`.
 */
export const DAG_RUN_PROBLEMS = defineProblemCodes('dag-runs', ProblemDto, {
  /** The dag has no row in `dag` and no run. */
  dag_not_found: 404,
  dag_run_not_found: 404,
  /** A second trigger of one run id: a real conflict (the Task SDK then clears the run when `reset_dag_run`). */
  dag_run_already_exists: 409,
  /** The control plane marked the dag as failing to import. */
  dag_import_errors: 400,
});

export const dagNotFound = (dagId: string) => DAG_RUN_PROBLEMS.error('dag_not_found', `Dag with dag_id: '${dagId}' not found`, 'not_found');

export const dagRunNotFound = (dagId: string, runId: string) =>
  DAG_RUN_PROBLEMS.error('dag_run_not_found', `Dag run with dag_id '${dagId}' and run_id '${runId}' was not found`, 'not_found');

/** `clear` words its 404 differently in Airflow. */
export const dagRunToClearNotFound = (runId: string) => DAG_RUN_PROBLEMS.error('dag_run_not_found', `Dag run with run_id: '${runId}' not found`, 'not_found');

export const dagRunAlreadyExists = (dagId: string, runId: string) =>
  DAG_RUN_PROBLEMS.error('dag_run_already_exists', `A run already exists for Dag '${dagId}' with run_id '${runId}'`, 'already_exists');

export const dagImportErrors = (dagId: string) =>
  DAG_RUN_PROBLEMS.error('dag_import_errors', `Dag with dag_id '${dagId}' has import errors and cannot be triggered`, 'import_errors');
