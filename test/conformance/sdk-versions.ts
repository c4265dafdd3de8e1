import type { z } from 'zod';
import { dict } from './models/pydantic';
import * as v10 from './models/sdk-1.0';
import * as v11 from './models/sdk-1.1';
import * as v12 from './models/sdk-1.2';
import * as v13 from './models/sdk-1.3';
import type { RequestBodies, ResponseModels } from './models/sdk-1.3';

/** The Task SDK releases the tier replays, oldest first: the columns of docs/airflow-compatibility.md. */
export interface SdkVersion {
  /** The column: the SDK's minor line. */
  sdk: '1.0' | '1.1' | '1.2' | '1.3';
  airflow: string;
  /** What `Client.__init__` sends as `airflow-api-version` (`API_VERSION` of its generated models). */
  apiVersion: string;
  /** `apache-airflow-task-sdk/<version>` in the user agent: a release of that line. */
  release: string;
  responses: ResponseModels;
  requests: RequestBodies;
}

export const SDK_VERSIONS: readonly SdkVersion[] = [
  { sdk: '1.0', airflow: '3.0', apiVersion: '2025-05-20', release: '1.0.6', responses: v10.RESPONSE_MODELS, requests: v10.REQUEST_BODIES },
  { sdk: '1.1', airflow: '3.1', apiVersion: '2025-11-05', release: '1.1.8', responses: v11.RESPONSE_MODELS, requests: v11.REQUEST_BODIES },
  { sdk: '1.2', airflow: '3.2', apiVersion: '2026-04-06', release: '1.2.1', responses: v12.RESPONSE_MODELS, requests: v12.REQUEST_BODIES },
  { sdk: '1.3', airflow: '3.3', apiVersion: '2026-06-30', release: '1.3.0', responses: v13.RESPONSE_MODELS, requests: v13.REQUEST_BODIES },
];

export type SdkLine = SdkVersion['sdk'];

/**
 * Earlier dates the same SDK lines sent (older patch releases), replayed with every case too so the
 * version negotiation is exercised between known dates: 3.0.0/3.0.1 sent 2025-04-28 (same shapes
 * as 2025-05-20 for what this service sends); 3.1 releases before 2025-11-05 sent e.g. 2025-09-23,
 * whose `DagRun` has `state` but not `triggering_user_name` and whose `conf` is never null
 * (`v2025_11_05.AddTriggeringUserNameField`, `v2025_10_27.MakeDagRunConfNullable`); 3.2.0 may have
 * sent 2026-03-31, a date Airflow's version bundle does not list (Cadwyn then answers the newest
 * listed date before it, 2025-11-05, whose shapes the 1.2 models accept).
 */
export const EARLIER_HEADERS: readonly SdkVersion[] = [
  { ...SDK_VERSIONS[0], apiVersion: '2025-04-28', release: '1.0.1' },
  {
    ...SDK_VERSIONS[1],
    apiVersion: '2025-09-23',
    release: '1.1.0',
    responses: {
      ...v11.RESPONSE_MODELS,
      TIRunContext: v11.TIRunContext.extend({ dag_run: v11.DagRun.omit({ triggering_user_name: true }).extend({ conf: dict.optional() }) }),
    },
  },
  { ...SDK_VERSIONS[2], apiVersion: '2026-03-31', release: '1.2.0' },
];

/** Parses `body` as the SDK's pydantic model would (`model_validate_json`), returning the issues if it would raise. */
export function validate(model: z.ZodType, body: unknown): { ok: true } | { ok: false; issues: string[] } {
  const result = model.safeParse(body);
  if (result.success) return { ok: true };
  return { ok: false, issues: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`) };
}
