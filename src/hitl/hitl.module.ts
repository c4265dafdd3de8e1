import { Module } from '@nestjs/common';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { HitlAnswersController } from './hitl-answers.controller';
import { HitlController } from './hitl.controller';
import { HitlService } from './hitl.service';

/**
 * Human in the loop: Airflow's `hitlDetails` routes of the execution API and the control-plane
 * answer. Brings its entity through its manifest (`hitl.feature.ts`), its problem codes through
 * `hitl.problems.ts`, its response versions through `hitl.versions.ts` (in `src/api-versions.ts`);
 * uses the task-instance module only through `TaskInstanceLookup`.
 */
@Module({
  imports: [TaskInstancesModule],
  controllers: [HitlController, HitlAnswersController],
  providers: [HitlService],
})
export class HitlModule {}
