import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module';
import { AnyTaskMayReadConnections, CONNECTION_ACCESS_POLICY, ConnectionAccess } from './connection-access';
import { ConnectionsAdminController, ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';

/**
 * Airflow's connection route of the execution API, and the control plane's CRUD. Its entity comes
 * through its manifest (`connections.feature.ts`), encryption at rest through `SecretsModule`.
 */
@Module({
  imports: [SecretsModule],
  controllers: [ConnectionsController, ConnectionsAdminController],
  providers: [
    ConnectionsService,
    ConnectionAccess,
    // Who may read which connections; replace the class to change the rule (docs/security.md).
    { provide: CONNECTION_ACCESS_POLICY, useClass: AnyTaskMayReadConnections },
  ],
})
export class ConnectionsModule {}
