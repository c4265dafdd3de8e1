import type { FeatureManifest } from '../feature-manifest';
import { TaskReschedule } from './lifecycle/task-reschedule.entity';
import { Trigger } from './lifecycle/trigger.entity';
import { RUN_CONTEXT_VERSION_CHANGES } from './lifecycle/run-context.versions';
import { RenderedTaskInstanceFields } from './rtif/rendered-task-instance-fields.entity';
import { TaskInstanceHistory } from './task-instance-history.entity';
import { TaskInstance } from './task-instance.entity';
import { TaskInstancesModule } from './task-instances.module';
import { Migration20261125000000_initial_schema } from '../migrations/Migration20261125000000_initial_schema';
import { Migration20261125190000_task_instance_lifecycle } from '../migrations/Migration20261125190000_task_instance_lifecycle';
import { Migration20261125200000_dag_run_retention_index } from '../migrations/Migration20261125200000_dag_run_retention_index';
import { Migration20261128100000_task_instance_search_indexes } from '../migrations/Migration20261128100000_task_instance_search_indexes';
import { Migration20261206100000_task_sdk_bodies } from '../migrations/Migration20261206100000_task_sdk_bodies';
import { Migration20261206110000_task_instance_reads } from '../migrations/Migration20261206110000_task_instance_reads';

/**
 * The task-instance feature (see `src/features.ts`). Its first migration creates the `dag_run`
 * table too, whose entity the dag-run feature registers. Other features join it through its
 * declared extension points, `task-start.hooks.ts` and `task-success.hooks.ts`.
 */
export const TASK_INSTANCES_FEATURE: FeatureManifest = {
  name: 'task-instances',
  // The entity of the dag run a task instance belongs to, and its response shape.
  dependsOn: ['dag-runs'],
  module: TaskInstancesModule,
  entities: [TaskInstance, RenderedTaskInstanceFields, TaskInstanceHistory, TaskReschedule, Trigger],
  migrations: [
    { name: 'Migration20261125000000_initial_schema', class: Migration20261125000000_initial_schema },
    { name: 'Migration20261125190000_task_instance_lifecycle', class: Migration20261125190000_task_instance_lifecycle },
    { name: 'Migration20261125200000_dag_run_retention_index', class: Migration20261125200000_dag_run_retention_index },
    { name: 'Migration20261128100000_task_instance_search_indexes', class: Migration20261128100000_task_instance_search_indexes },
    { name: 'Migration20261206100000_task_sdk_bodies', class: Migration20261206100000_task_sdk_bodies },
    { name: 'Migration20261206110000_task_instance_reads', class: Migration20261206110000_task_instance_reads },
  ],
  versionChanges: [RUN_CONTEXT_VERSION_CHANGES],
};
