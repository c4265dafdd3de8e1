import { ApiPropertyOptional } from '@nestjs/swagger';
import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/** The connection routes' problem body: the common members plus the connection ones. */
export class ConnectionProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: 'my_postgres', description: 'not_found: the connection id asked for.' })
  conn_id?: string;
}

/** The problem codes the connections module owns (Airflow's statuses and reasons). */
export const CONNECTION_PROBLEMS = defineProblemCodes('connections', ConnectionProblemDto, {
  /** No connection with the id: Airflow's 404 `not_found`. */
  connection_not_found: 404,
  /** The access policy refused the token this connection: Airflow's 403 `access_denied`. */
  connection_access_denied: 403,
});

/** Airflow's message (`f"Connection with ID {connection_id} not found"`, no quotes). */
export const connectionNotFound = (connId: string) =>
  CONNECTION_PROBLEMS.error('connection_not_found', `Connection with ID ${connId} not found`, 'not_found', { conn_id: connId });

/** What a replacement policy throws (Airflow's 403 `access_denied`). */
export const connectionAccessDenied = (connId: string) =>
  CONNECTION_PROBLEMS.error('connection_access_denied', `Task does not have access to connection ${connId}`, 'access_denied', { conn_id: connId });
