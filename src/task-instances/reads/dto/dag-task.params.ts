import { IsPathText } from '../../../common/http/query-rules';

/** The path of a route that names a task of a dag (`…/:dag_id/…/:task_id`), validated by the global pipe. */
export class DagTaskParams {
  @IsPathText(250)
  dag_id: string;

  @IsPathText(250)
  task_id: string;
}
