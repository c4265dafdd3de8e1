import type { NextFunction, Request, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';

export const CORRELATION_ID_HEADER = 'correlation-id';

/** Accepted client ids: what Airflow's SDK sends (a UUID) and the usual trace-id shapes, bounded. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    correlationId?: string;
  }
}

/**
 * Takes the client's `correlation-id` (or makes one), remembers it on the request and echoes it on
 * the response. Idempotent: the request logger and this middleware may both call it.
 */
export function assignCorrelationId(req: Request, res: Response): string {
  if (req.correlationId !== undefined) return req.correlationId;
  const given = req.headers[CORRELATION_ID_HEADER];
  const id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : uuidv7();
  req.correlationId = id;
  res.setHeader(CORRELATION_ID_HEADER, id);
  return id;
}

/** Express middleware form of `assignCorrelationId`. */
export function correlationIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  assignCorrelationId(req, res);
  next();
}

export function correlationIdOf(req: Request): string {
  return req.correlationId ?? uuidv7();
}
