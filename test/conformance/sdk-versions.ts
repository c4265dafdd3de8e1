import type { z } from 'zod';
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
  { sdk: '1.2', airflow: '3.2', apiVersion: '2026-04-06', release: '1.2.0', responses: v12.RESPONSE_MODELS, requests: v12.REQUEST_BODIES },
  { sdk: '1.3', airflow: '3.3', apiVersion: '2026-06-30', release: '1.3.0', responses: v13.RESPONSE_MODELS, requests: v13.REQUEST_BODIES },
];

export type SdkLine = SdkVersion['sdk'];

/** Parses `body` as the SDK's pydantic model would (`model_validate_json`), returning the issues if it would raise. */
export function validate(model: z.ZodType, body: unknown): { ok: true } | { ok: false; issues: string[] } {
  const result = model.safeParse(body);
  if (result.success) return { ok: true };
  return { ok: false, issues: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`) };
}
