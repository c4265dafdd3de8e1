import { IsPathText } from '../common/http/query-rules';

/** The path of a route that names a dag (`…/:dag_id`), validated by the global pipe. */
export class DagIdParams {
  @IsPathText(250)
  dag_id: string;
}
