import { IsPathText } from '../../common/http/query-rules';
import { CONN_ID_MAX_LENGTH } from '../connection.entity';

/** The path of a connection route (`…/*conn_id`, a wildcard: its segments are joined with `/`). */
export class ConnectionIdParams {
  @IsPathText(CONN_ID_MAX_LENGTH)
  conn_id: string;
}
