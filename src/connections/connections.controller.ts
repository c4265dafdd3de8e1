import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { CONN_ID_MAX_LENGTH } from './connection.entity';
import { ConnectionAccess, connIdOf } from './connection-access';
import { ConnectionProblemDto } from './connections.problems';
import { ConnectionsService } from './connections.service';
import { ConnectionDto, ConnectionResponse, PutConnectionBody } from './dto/connection.dto';

const connIdParam = (example: string) =>
  ApiParam({
    name: 'conn_id',
    schema: { type: 'string', minLength: 1, maxLength: CONN_ID_MAX_LENGTH, example },
    description: 'May contain `/` (sent as is or as %2F).',
  });
const INVALID_ID = {
  status: 422,
  description: 'The id is empty, longer than 250 characters or holds a control character.',
  examples: [{ reason: 'validation_error', detail: 'The path parameter conn_id is not valid.', errors: [{ path: 'conn_id', message: 'must not be empty' }] }],
};

/** Airflow's connection route of the execution API (`GET /execution/connections/{connection_id:path}`). */
@ApiTags('Execution API: connections')
@ApiBearerAuth()
@Controller('execution/connections')
// A connection names no task instance: any execution token the ConnectionAccessPolicy allows (by default any).
// Workload tokens are refused (403), as Airflow's test pins for this route.
@TaskInstanceFrom({ resolver: ConnectionAccess })
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get('*conn_id')
  @connIdParam('warehouse')
  // A read, in a unit of work so a transient failure is retried like on the other routes; from a
  // fresh replica when one is configured (docs/operations.md, "Read replicas").
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @Endpoint({
    operationId: 'get_connection',
    summary: 'Get Connection',
    description: 'Every field of the connection, the password and extra decrypted (`schema` by its alias, `extra` a JSON string).',
    success: { status: 200, type: ConnectionResponse, description: 'The connection.' },
    problem: ConnectionProblemDto,
    errors: [
      {
        status: 403,
        description: 'A workload token, or the access policy refuses this connection to the task.',
        examples: [
          { reason: 'access_denied', detail: 'Task does not have access to connection my_postgres', conn_id: 'my_postgres' },
          {
            reason: 'wrong_scope',
            detail: 'A workload token is not accepted here; this route accepts: execution.',
            token_scope: 'workload',
            accepted_scopes: 'execution',
          },
        ],
      },
      {
        status: 404,
        description: 'No connection with the id.',
        examples: [{ reason: 'not_found', detail: 'Connection with ID my_postgres not found', conn_id: 'my_postgres' }],
      },
      INVALID_ID,
    ],
  })
  async get(@Param() params: Record<string, unknown>): Promise<ConnectionResponse> {
    return this.connections.get(connIdOf(params));
  }
}

/**
 * Control plane (admin token): an operator seeds and inspects connections. A password is never
 * returned (`***` when set) and `extra` is masked under sensitive key names: only the task that
 * uses a connection reads its secrets, through the execution route.
 */
@ApiTags('Control plane: connections')
@ApiBearerAuth()
@Controller('api/v1/connections')
export class ConnectionsAdminController {
  constructor(private readonly connections: ConnectionsService) {}

  @Put('*conn_id')
  @connIdParam('warehouse')
  // An upsert on the id: a repeat leaves the same row.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'put_admin_connection',
    summary: 'Create or replace a connection',
    description: 'Creates the connection or replaces every field of it. Password and extra are encrypted at rest when FERNET_KEY is set.',
    success: { status: 200, type: ConnectionDto, description: 'The connection as stored, its secrets masked.' },
    problem: ConnectionProblemDto,
    errors: [
      { status: 413, description: 'Body too large.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Invalid id or body.',
        examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'conn_type', message: 'conn_type must be a string' }] }],
      },
    ],
  })
  @ApiBody({
    type: PutConnectionBody,
    examples: {
      postgres: {
        summary: 'A PostgreSQL connection',
        value: {
          conn_type: 'postgres',
          host: 'db.internal',
          schema: 'analytics',
          login: 'etl',
          password: 's3cr3t',
          port: 5432,
          extra: '{"sslmode": "require"}',
        },
      },
    },
  })
  async put(@Param() params: Record<string, unknown>, @Body() body: PutConnectionBody): Promise<ConnectionDto> {
    return this.connections.put(connIdOf(params), body);
  }

  @Get('*conn_id')
  @connIdParam('warehouse')
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'get_admin_connection',
    summary: 'Get a connection',
    description: 'The connection with its secrets masked.',
    success: { status: 200, type: ConnectionDto, description: 'The connection.' },
    problem: ConnectionProblemDto,
    errors: [
      {
        status: 404,
        description: 'No connection with the id.',
        examples: [{ reason: 'not_found', detail: 'Connection with ID warehouse not found', conn_id: 'warehouse' }],
      },
      INVALID_ID,
    ],
  })
  async get(@Param() params: Record<string, unknown>): Promise<ConnectionDto> {
    return this.connections.show(connIdOf(params));
  }

  @Delete('*conn_id')
  @connIdParam('warehouse')
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'delete_admin_connection',
    summary: 'Delete a connection',
    description: 'Deletes the connection; a missing one is a success too.',
    success: { status: 204, description: 'Deleted, or there was nothing to delete.' },
    problem: ConnectionProblemDto,
    errors: [INVALID_ID],
  })
  async delete(@Param() params: Record<string, unknown>): Promise<void> {
    await this.connections.delete(connIdOf(params));
  }
}
