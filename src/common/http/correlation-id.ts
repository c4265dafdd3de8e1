import type { NextFunction, Request, Response } from 'express';
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

export const CORRELATION_ID_HEADER = 'correlation-id';

/** Accepted client ids: what Airflow's SDK sends (a UUID) and the usual trace-id shapes, bounded. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Random bytes for generated ids, drawn 4 KiB at a time: uuid's own source asks the kernel for 16
 * bytes per id, which was 1.4 % of the RTIF write's CPU for clients that send no id (as Node's
 * `crypto.randomUUID()` does, the entropy is cached). Ids made this way are UUIDv7 with the
 * millisecond timestamp and 74 random bits, unordered within a millisecond.
 */
const entropy = new Uint8Array(4096);
let entropyUsed = entropy.length;
function random16(): Uint8Array {
  if (entropyUsed === entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  entropyUsed += 16;
  return entropy.subarray(entropyUsed - 16, entropyUsed);
}

/** A new UUIDv7 correlation id. */
export function newCorrelationId(): string {
  return uuidv7({ random: random16() });
}

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
  const id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : newCorrelationId();
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
  return req.correlationId ?? newCorrelationId();
}
