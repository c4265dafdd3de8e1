import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LifecycleController } from './lifecycle/lifecycle.controller';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { RtifController } from './rtif/rtif.controller';
import { RtifService } from './rtif/rtif.service';
import { TaskInstanceTokenController } from './control-plane/task-instance-token.controller';
import { TaskInstanceKeyResolver } from './task-instance-key.resolver';
import { TaskInstanceLookup } from './task-instance.lookup';
import { TaskInstancesController } from './control-plane/task-instances.controller';
import { TaskInstancesService } from './control-plane/task-instances.service';
import { TaskInstanceSearchController } from './control-plane/task-instance-search.controller';
import { TaskInstanceSearchService } from './control-plane/task-instance-search.service';
import { AnyTaskInstanceToken } from './any-task-instance-token';
import { TaskStartHooks } from './task-start.hooks';
import { TaskSuccessHooks } from './task-success.hooks';
import { TaskInstanceReadsController, TaskReschedulesController } from './reads/task-instance-reads.controller';
import { TaskInstanceReadsService } from './reads/task-instance-reads.service';

/**
 * The task-instance feature: RTIF, the lifecycle, the control plane and the reads. Other features
 * use it through what it exports and through its two extension points, `@TaskStartHook()` and
 * `@TaskSuccessHook()` (found with Nest's discovery, so this module imports none of them).
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [
    TaskInstancesController,
    TaskInstanceSearchController,
    RtifController,
    LifecycleController,
    TaskInstanceTokenController,
    TaskInstanceReadsController,
    TaskReschedulesController,
  ],
  providers: [
    TaskInstancesService,
    TaskInstanceSearchService,
    RtifService,
    TaskInstanceLookup,
    LifecycleService,
    TaskInstanceKeyResolver,
    TaskInstanceReadsService,
    AnyTaskInstanceToken,
    TaskStartHooks,
    TaskSuccessHooks,
  ],
  // For modules whose routes name a task instance by key (`@TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })`).
  // AnyTaskInstanceToken: for routes that name no task instance (any execution token may call them).
  exports: [TaskInstanceKeyResolver, TaskInstanceLookup, AnyTaskInstanceToken],
})
export class TaskInstancesModule {}
