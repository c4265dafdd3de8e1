import { defineVersionChanges, field, type JsonRecord } from '../../common/api-version/version-changes';

/**
 * How `TIRunContext` (the `PATCH …/run` answer) and the `DagRun` inside it changed, per Execution
 * API version, as Airflow declares it in
 * `airflow-core/src/airflow/api_fastapi/execution_api/versions/v20XX_XX_XX.py` (class names kept).
 * Only changes to what this service answers are listed; see docs/api-versions.md for the rest.
 */

/**
 * `next_kwargs` as Task SDK < 1.2 reads it: Airflow's `BaseSerialization` encoding, where a dict
 * is `{"__type": "dict", "__var": {...}}` (lists stay lists, scalars stay scalars). Airflow
 * (`ModifyDeferredTaskKwargsToJsonValue`) re-encodes what newer workers store in SDK-serde form and
 * leaves values already in that encoding, or encrypted strings, as they are. Serde-encoded leaves
 * (`{"__classname__": …}`, e.g. a datetime) need Airflow's Python types to convert and are passed
 * through unchanged inside the re-encoded dict.
 */
export function toBaseSerialization(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toBaseSerialization);
  const record = value as JsonRecord;
  if ('__type' in record && '__var' in record) return record;
  if ('__classname__' in record) return record;
  return { __type: 'dict', __var: Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toBaseSerialization(v)])) };
}

/**
 * Airflow's `DowngradeUpstreamMapIndexes` (2025-05-20): before it, each value was one int; a list
 * became its first int, anything else 0.
 */
export function downgradeUpstreamMapIndexes(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as JsonRecord).map(([k, v]) => {
      if (Number.isInteger(v)) return [k, v];
      if (Array.isArray(v) && v.length > 0 && v.every((i) => Number.isInteger(i))) return [k, v[0]];
      return [k, 0];
    }),
  );
}

export const RUN_CONTEXT_VERSION_CHANGES = defineVersionChanges('task-instances', { TIRunContext: { dag_run: 'DagRun' }, DagRun: {} }, [
  // 2026-06-30 (Airflow 3.3, Task SDK 1.3)
  {
    version: '2026-06-30',
    name: 'AddTeamNameField',
    description: 'Add the `team_name` field to DagRun.',
    instructions: [field('DagRun', 'team_name').didntExist],
  },
  {
    version: '2026-06-30',
    name: 'AddFirstTaskRescheduleStartDateField',
    description: 'Add `first_task_reschedule_start_date` to TIRunContext (the 3.3 Task SDK model has it at API 2026-06-30).',
    instructions: [field('TIRunContext', 'first_task_reschedule_start_date').didntExist],
  },
  {
    version: '2026-06-30',
    // Not an Airflow class name: the Task SDK 1.3 model is the first whose DagRunType has the value.
    name: 'AddOperatorTriggeredRunType',
    description: 'Runs a task triggers have run type `operator_triggered`; Task SDK < 1.3 does not know the value and reads `manual`.',
    instructions: [field('DagRun', 'run_type').hadFormat((v) => (v === 'operator_triggered' ? 'manual' : v), '`manual` for `operator_triggered`')],
  },
  // 2026-04-06 (Airflow 3.2, Task SDK 1.2)
  {
    version: '2026-04-06',
    name: 'AddPartitionKeyField',
    description: 'Add `partition_key` to DagRun.',
    instructions: [field('DagRun', 'partition_key').didntExist],
  },
  {
    version: '2026-04-06',
    name: 'MakeDagRunStartDateNullable',
    description: 'DagRun.start_date may be null (a run not started yet); older clients require a date and get run_after.',
    instructions: [field('DagRun', 'start_date').wasNeverNull((dagRun) => dagRun.run_after, 'run_after stands in for a missing start_date')],
  },
  {
    version: '2026-04-06',
    name: 'ModifyDeferredTaskKwargsToJsonValue',
    description: '`next_kwargs` is stored in SDK-serde form; Task SDK < 1.2 reads BaseSerialization.',
    instructions: [field('TIRunContext', 'next_kwargs').hadFormat(toBaseSerialization, 'BaseSerialization ({"__type": "dict", "__var": …})')],
  },
  {
    version: '2026-04-06',
    name: 'RemoveUpstreamMapIndexesField',
    description: 'Remove `upstream_map_indexes` from TIRunContext (the Task SDK computes them); older clients get null.',
    instructions: [field('TIRunContext', 'upstream_map_indexes').existedAs(null)],
  },
  {
    version: '2026-04-06',
    name: 'AddNoteField',
    description: 'Add `note` to DagRun.',
    instructions: [field('DagRun', 'note').didntExist],
  },
  {
    version: '2026-04-06',
    name: 'AddTaskInstanceStartDateField',
    description: 'Add `start_date` to TIRunContext (the start of a try resuming from deferral).',
    instructions: [field('TIRunContext', 'start_date').didntExist],
  },
  // 2025-11-05 (Airflow 3.1.x)
  {
    version: '2025-11-05',
    name: 'AddTriggeringUserNameField',
    description: 'Add `triggering_user_name` to DagRun.',
    instructions: [field('DagRun', 'triggering_user_name').didntExist],
  },
  // 2025-10-27 (Airflow 3.1.x)
  {
    version: '2025-10-27',
    name: 'MakeDagRunConfNullable',
    description: 'DagRun.conf may be null; older clients get {}.',
    instructions: [field('DagRun', 'conf').wasNeverNull(() => ({}), '{} stands in for a null conf')],
  },
  // 2025-08-10 (Airflow 3.1.0)
  {
    version: '2025-08-10',
    name: 'AddDagRunStateFieldAndPreviousEndpoint',
    description: 'Add `state` to DagRun.',
    instructions: [field('DagRun', 'state').didntExist],
  },
  // 2025-05-20 (Airflow 3.0.2)
  {
    version: '2025-05-20',
    name: 'DowngradeUpstreamMapIndexes',
    description: '`upstream_map_indexes` values may be lists of map indexes; before, one int each.',
    instructions: [field('TIRunContext', 'upstream_map_indexes').hadFormat(downgradeUpstreamMapIndexes, 'one int per upstream task')],
  },
]);
