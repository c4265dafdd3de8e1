import { Module } from '@nestjs/common';
import { DagsAdminController, DagsController } from '../dags/dags.controller';
import { DagsService } from '../dags/dags.service';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { DagRunsController } from './dag-runs.controller';
import { DagRunsService } from './dag-runs.service';
import { JsonNullInterceptor } from './json-null.interceptor';

/**
 * Airflow's dag-run and dag routes of the execution API, and the control plane's dag registration.
 * The `dag_run` entity comes through its manifest (`dag-runs.feature.ts`), the `dag` entity through
 * the dag feature's (`src/dags/dags.feature.ts`), whose routes this module serves.
 * Uses the task-instance module only through what it exports (`AnyTaskInstanceToken`).
 */
@Module({
  imports: [TaskInstancesModule],
  controllers: [DagRunsController, DagsController, DagsAdminController],
  providers: [DagRunsService, DagsService, JsonNullInterceptor],
})
export class DagRunsModule {}
