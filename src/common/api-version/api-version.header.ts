import type { Response } from 'express';

/** The request and response header of the execution API's version (Airflow's Cadwyn parameter name). */
export const API_VERSION_HEADER = 'Airflow-API-Version';

/** Where the resolved version waits for the response serializer: Express's per-request `res.locals`. */
const LOCALS_KEY = 'airflowApiVersion';

export function setResolvedApiVersion(res: Response, version: string): void {
  (res.locals as Record<string, unknown>)[LOCALS_KEY] = version;
}

/** The version this request is answered in, or undefined outside the execution API. */
export function resolvedApiVersion(res: Response): string | undefined {
  const value = (res.locals as Record<string, unknown>)[LOCALS_KEY];
  return typeof value === 'string' ? value : undefined;
}
