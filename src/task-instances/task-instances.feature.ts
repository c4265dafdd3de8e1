import { DagRun } from '../dag-runs/dag-run.entity';
import type { FeatureManifest } from '../features';
import { TaskReschedule } from './lifecycle/task-reschedule.entity';
import { Trigger } from './lifecycle/trigger.entity';
import { RenderedTaskInstanceFields } from './rtif/rendered-task-instance-fields.entity';
import { TaskInstanceHistory } from './task-instance-history.entity';
import { TaskInstance } from './task-instance.entity';

/** The task-instance module's entities, and the dag runs it creates (see `src/features.ts`). */
export const TASK_INSTANCES_FEATURE: FeatureManifest = {
  name: 'task-instances',
  entities: [DagRun, TaskInstance, RenderedTaskInstanceFields, TaskInstanceHistory, TaskReschedule, Trigger],
};
