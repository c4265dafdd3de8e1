import { Module } from '@nestjs/common';
import { JsonObjectBodyPipe } from './dto/json-object-body.pipe';
import { StateUpdatePipe } from './dto/state-update.pipe';
import { LifecycleController } from './lifecycle.controller';
import { LifecycleService } from './lifecycle.service';
import { RtifController } from './rtif.controller';
import { RtifService } from './rtif.service';
import { TaskInstanceTokenController } from './task-instance-token.controller';
import { TaskInstanceLookup } from './task-instance.lookup';
import { TaskInstancesController } from './task-instances.controller';
import { TaskInstancesService } from './task-instances.service';

@Module({
  controllers: [TaskInstancesController, RtifController, LifecycleController, TaskInstanceTokenController],
  providers: [TaskInstancesService, RtifService, JsonObjectBodyPipe, TaskInstanceLookup, LifecycleService, StateUpdatePipe],
})
export class TaskInstancesModule {}
