import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { pino, type DestinationStream, type Logger as PinoRoot } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AppConfig } from '../../config/app-config';
import { assignCorrelationId } from '../http/correlation-id';
import { routeLabelOf } from '../http/route-label';

/** Log field that carries the correlation id on every line written while a request runs. */
export const CORRELATION_ID_LOG_KEY = 'correlation_id';

/** Paths polled by orchestrators and scrapers: logged at `debug` so they do not drown real traffic. */
const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * How much of stdout is gathered before one write (bytes), and how long a line may wait for more
 * (ms). A request's line is ~300 bytes: under load one `write(2)` carries a dozen lines instead of
 * one. A quiet service's line is written within the interval.
 */
export const STDOUT_BUFFER = { minLength: 4096, flushIntervalMs: 100 } as const;

/** pino's destination (a SonicBoom stream), as far as this module drives it. */
type Destination = DestinationStream & { flushSync(): void };

let stdout: Destination | undefined;

/**
 * stdout (or `dest`, a descriptor or a file) for log lines: buffered (`STDOUT_BUFFER`), written
 * synchronously once the buffer is full, on the interval, on `flush()`, and on the process's `exit`
 * event (a `process.exit` anywhere, an uncaught exception), so no line is lost and none overtakes
 * another. pino's default destination writes asynchronously through libuv's thread pool, one
 * hand-over per line under load, and on `exit` writes what is still buffered ahead of a write in
 * flight (`test/unit/log-destination.spec.ts` saw the last lines come out first). Every logger on
 * stdout shares one destination, so lines of the boot logger and the root logger keep their order.
 */
export function bufferedStdout(dest?: number | string): DestinationStream {
  if (dest === undefined) return (stdout ??= openBuffered(1));
  return openBuffered(dest);
}

function openBuffered(dest: number | string): Destination {
  const stream = pino.destination({ dest, sync: true, minLength: STDOUT_BUFFER.minLength, periodicFlush: STDOUT_BUFFER.flushIntervalMs }) as Destination;
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // Already ended (a test closed it) or stdout is gone: nothing left that could be written.
    }
  });
  return stream;
}

/**
 * The process-wide pino logger (on `bufferedStdout()` unless a destination is given). Headers are never serialized (so no `Authorization` token can be
 * written), bodies are never logged (rendered fields stay out of logs), and `err` keeps only the
 * error's name and code: driver messages start with the SQL and its parameter values.
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel'>, destination?: DestinationStream): PinoRoot {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'task-execution-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
      hooks: {
        // A line that names the correlation id itself (the problem filter's, which must work with
        // any Nest logger) would repeat the request logger's binding: keep one JSON key.
        logMethod(args, method) {
          const [first] = args as unknown[];
          if (first !== null && typeof first === 'object' && CORRELATION_ID_LOG_KEY in first && CORRELATION_ID_LOG_KEY in this.bindings()) {
            const { [CORRELATION_ID_LOG_KEY]: _repeated, ...rest } = first as Record<string, unknown>;
            (args as unknown[])[0] = rest;
          }
          return method.apply(this, args);
        },
      },
      // Belt and braces: nothing below serializes headers, but if a future line does, tokens go.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'authorization', 'token'],
        censor: '[redacted]',
      },
      serializers: { err: safeError, error: safeError, req: safeRequest },
    },
    destination ?? bufferedStdout(),
  );
}

/** `req` serializer for any line that passes a request: method and path, nothing else. */
function safeRequest(req: IncomingMessage): Record<string, unknown> {
  return { method: req.method, path: pathOf(req) };
}

/** `err` serializer: name and codes only, never the message (driver messages hold SQL and values). */
export function safeError(error: unknown): Record<string, unknown> | unknown {
  if (error === null || typeof error !== 'object') return error;
  const e = error as { name?: unknown; code?: unknown; constraint?: unknown };
  return {
    type: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
  };
}

/**
 * Express middleware writing exactly one line per request when its response finishes (or the
 * client goes away), bound to the request's correlation id. Every log line written while the
 * request runs (Nest `Logger` calls included, through nestjs-pino) carries the same id.
 */
export function createHttpLogger(logger: PinoRoot): (req: Request, res: Response, next: NextFunction) => void {
  const middleware = pinoHttp({
    logger,
    genReqId: (req, res) => assignCorrelationId(req as Request, res as Response),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: CORRELATION_ID_LOG_KEY, responseTime: 'duration_ms' },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (PROBE_PATHS.has(pathOf(req))) return 'debug';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    customSuccessMessage: () => 'request completed',
    // Same message for every status, so "one line per request" is one query: msg = request completed.
    customErrorMessage: () => 'request completed',
    customSuccessObject: (req, res, value: Record<string, unknown>) => requestLine(req, res, value),
    customErrorObject: (req, res, _error, value: Record<string, unknown>) => requestLine(req, res, value),
  });
  return middleware;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0];
}

/** The request line: no headers, no query string, no body. */
function requestLine(req: IncomingMessage, res: ServerResponse, value: Record<string, unknown>): Record<string, unknown> {
  return {
    method: req.method,
    route: routeLabelOf(req as Request),
    path: pathOf(req),
    status: res.statusCode,
    duration_ms: value.duration_ms,
    // `close` before `finish`: the client went away before the answer was written.
    ...(res.writableFinished ? {} : { aborted: true }),
  };
}
