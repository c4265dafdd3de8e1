import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module';
import { AnyTaskMayUseVariables, VARIABLE_ACCESS_POLICY, VariableAccess } from './variable-access';
import { VariablesAdminController } from './variables-admin.controller';
import { VariablesController } from './variables.controller';
import { VariablesService } from './variables.service';

/**
 * Airflow's variable routes of the execution API, and the control plane's CRUD. Its entity comes
 * through its manifest (`variables.feature.ts`), encryption at rest through `SecretsModule`.
 */
@Module({
  imports: [SecretsModule],
  controllers: [VariablesController, VariablesAdminController],
  providers: [
    VariablesService,
    VariableAccess,
    // Who may use which variables; replace the class to change the rule (docs/security.md).
    { provide: VARIABLE_ACCESS_POLICY, useClass: AnyTaskMayUseVariables },
  ],
})
export class VariablesModule {}
