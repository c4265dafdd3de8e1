import { Module } from '@nestjs/common';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { AssetEventsAdminController, ExecutionAssetEventsController, ExecutionAssetsController } from './asset-events.controller';
import { AssetEventsService } from './asset-events.service';
import { AssetsController, InletsOutletsController } from './assets.controller';
import { AssetsService } from './assets.service';

/**
 * Assets: the control plane registers them (`PUT /api/v1/assets`), and a task checks its declared
 * inlets and outlets against the active ones (`GET /execution/task-instances/{id}/validate-inlets-and-outlets`).
 * A successful task's outlets become asset events (`AssetEventsService`, a `@TaskSuccessHook()`), which
 * tasks read back (`GET /execution/asset-events/…`) and an operator seeds (`POST /api/v1/asset-events`).
 * Its entities come through its manifest (`assets.feature.ts`); it uses the task-instance module
 * only through what that module exports (`TaskInstanceLookup`).
 */
@Module({
  imports: [TaskInstancesModule],
  controllers: [AssetsController, InletsOutletsController, ExecutionAssetsController, ExecutionAssetEventsController, AssetEventsAdminController],
  providers: [AssetsService, AssetEventsService],
})
export class AssetsModule {}
