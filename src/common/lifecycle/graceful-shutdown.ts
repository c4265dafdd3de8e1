import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { Injectable, type INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LifecycleState } from './lifecycle.state';

export interface ShutdownOutcome {
  /** True when every connection ended within the grace period. */
  drained: boolean;
  /** Requests still running when the listener closed. */
  inFlightAtStart: number;
}

/** How often idle keep-alive connections are closed while draining. */
const IDLE_SWEEP_MS = 100;

/**
 * Delay before idle connections are closed. A connection the kernel handed over just before the
 * listener closed counts as idle until its first request is parsed; closing it at once would reset
 * a request the client has already sent (Node's `server.close()` does exactly that, so it is not
 * used here).
 */
const IDLE_SWEEP_DELAY_MS = 1000;

/**
 * Counts requests in flight. Installed first, so every accepted request is counted until its
 * response finishes or its client goes away.
 */
@Injectable()
export class InFlightRequests {
  private count = 0;

  get size(): number {
    return this.count;
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    this.count += 1;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.count -= 1;
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };
}

/**
 * Drains and closes the application:
 * 1. readiness starts answering 503 and responses ask clients to close their connection;
 * 2. the listener closes, so new connections are refused (requests already accepted keep going);
 * 3. after a short delay, idle keep-alive connections are closed as they become idle, until every
 *    connection has ended or `graceMs` has passed (then the remaining ones are cut);
 * 4. `app.close()` runs the modules' shutdown hooks, which close the database pool.
 */
export async function shutdownGracefully(app: INestApplication, graceMs: number): Promise<ShutdownOutcome> {
  app.get(LifecycleState).beginShutdown();
  const inFlight = app.get(InFlightRequests);
  const server = app.getHttpServer() as Server;
  const inFlightAtStart = inFlight.size;
  // net.Server's close: stop listening and wait for connections to end, without the HTTP server's
  // immediate closeIdleConnections() (see IDLE_SWEEP_DELAY_MS).
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  let sweep: NodeJS.Timeout | undefined;
  const startSweep = setTimeout(() => {
    server.closeIdleConnections();
    sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  }, Math.min(IDLE_SWEEP_DELAY_MS, graceMs));
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(startSweep);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!drained) server.closeAllConnections();
  await app.close();
  return { drained, inFlightAtStart };
}

/** While draining, answers carry `Connection: close` so keep-alive clients reconnect elsewhere. */
export function connectionCloseWhileDraining(state: LifecycleState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (state.shuttingDown) res.setHeader('Connection', 'close');
    next();
  };
}
