import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { DAGS_FEATURE } from '../dags/dags.feature';
import { DagsAdminController, DagsController } from '../dags/dags.controller';
import { DagsService } from '../dags/dags.service';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { DagRunsController } from './dag-runs.controller';
import { DagRunsService } from './dag-runs.service';
import { JsonNullInterceptor } from './json-null.interceptor';

/**
 * Airflow's dag-run and dag routes of the execution API, and the control plane's dag registration.
 * Brings the `dag` entity through its manifest (`src/dags/dags.feature.ts`, listed in
 * `src/features.ts`); the `dag_run` entity stays with the task-instance module, which creates runs.
 * Uses the task-instance module only through what it exports (`AnyTaskInstanceToken`).
 */
@Module({
  imports: [MikroOrmModule.forFeature([...DAGS_FEATURE.entities]), TaskInstancesModule],
  controllers: [DagRunsController, DagsController, DagsAdminController],
  providers: [DagRunsService, DagsService, JsonNullInterceptor],
})
export class DagRunsModule {}
