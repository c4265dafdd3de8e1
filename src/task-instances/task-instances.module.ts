import { Module } from '@nestjs/common';
import { RtifController } from './rtif.controller';
import { RtifService } from './rtif.service';
import { TaskInstanceTokenController } from './task-instance-token.controller';
import { TaskInstancesController } from './task-instances.controller';
import { TaskInstancesService } from './task-instances.service';
import { JsonObjectBodyPipe } from './dto/json-object-body.pipe';

@Module({
  controllers: [TaskInstancesController, RtifController, TaskInstanceTokenController],
  providers: [TaskInstancesService, RtifService, JsonObjectBodyPipe],
})
export class TaskInstancesModule {}
