import type { FeatureManifest } from '../features';
import { DagRun } from './dag-run.entity';
import { RenderedTaskInstanceFields } from './rendered-task-instance-fields.entity';
import { TaskInstanceHistory } from './task-instance-history.entity';
import { TaskInstance } from './task-instance.entity';
import { TaskReschedule } from './task-reschedule.entity';
import { Trigger } from './trigger.entity';

/** The task-instance module's entities (see `src/features.ts`). */
export const TASK_INSTANCES_FEATURE: FeatureManifest = {
  name: 'task-instances',
  entities: [DagRun, TaskInstance, RenderedTaskInstanceFields, TaskInstanceHistory, TaskReschedule, Trigger],
};
