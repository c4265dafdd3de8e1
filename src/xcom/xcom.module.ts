import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TaskInstancesModule } from '../task-instances/task-instances.module';
import { DefaultXComAccessPolicy, XCOM_ACCESS_POLICY, XComAccess } from './xcom-access';
import { XComController } from './xcom.controller';
import { XComService } from './xcom.service';
import { XCOM_SETTINGS } from './xcom.settings';

/**
 * Airflow's XCom routes of the execution API. Brings its entities and settings through its
 * manifest (`xcom.feature.ts`, listed in `src/features.ts`), its problem codes through
 * `xcom.problems.ts`, and its part of `PATCH …/run` through a `@TaskStartHook()` provider; uses the
 * task-instance module only through what that module exports (`TaskInstanceLookup`).
 */
@Module({
  imports: [TaskInstancesModule],
  controllers: [XComController],
  providers: [
    XComService,
    XComAccess,
    // Who may read and write which XComs; replace the class to change the rule (docs/security.md).
    { provide: XCOM_ACCESS_POLICY, useClass: DefaultXComAccessPolicy },
    { provide: XCOM_SETTINGS.token, useFactory: (config: AppConfig) => XCOM_SETTINGS.of(config), inject: [APP_CONFIG] },
  ],
})
export class XComModule {}
