import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { AssetsController, InletsOutletsController } from './assets.controller';
import { ASSETS_FEATURE } from './assets.feature';
import { AssetsService } from './assets.service';

/**
 * Assets: the control plane registers them (`PUT /api/v1/assets`), and a task checks its declared
 * inlets and outlets against the active ones (`GET /execution/task-instances/{id}/validate-inlets-and-outlets`).
 * Its entity comes through its manifest (`assets.feature.ts`); it uses the task-instance module
 * only through what that module exports (`TaskInstanceLookup`).
 */
@Module({
  imports: [MikroOrmModule.forFeature([...ASSETS_FEATURE.entities]), TaskInstancesModule],
  controllers: [AssetsController, InletsOutletsController],
  providers: [AssetsService],
})
export class AssetsModule {}
