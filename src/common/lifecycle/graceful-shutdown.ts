import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Injectable, type INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LifecycleState } from './lifecycle.state';

export interface ShutdownOutcome {
  /** True when every connection ended within the grace period. */
  drained: boolean;
  /** Requests still running when the listener closed. */
  inFlightAtStart: number;
  /** Connections open when the listener closed. */
  connectionsAtStart: number;
  /** Connections accepted over the process's life. */
  connectionsAccepted: number;
}

/** How often idle keep-alive connections are closed while draining. */
const IDLE_SWEEP_MS = 100;

interface ConnectionState {
  /** Requests on this connection not yet answered. */
  busy: number;
  /** Requests on this connection already answered. */
  served: number;
}

/**
 * Tracks the HTTP server's connections, to close only those that are idle between requests
 * (keep-alive) while draining.
 *
 * Node's own `server.close()` / `closeIdleConnections()` also treat a connection as idle when it
 * was accepted but its first request is not parsed yet, and reset it: under load, requests that a
 * client had already sent were answered with ECONNRESET (found by graceful-shutdown.e2e-spec.ts).
 */
@Injectable()
export class ConnectionTracker {
  private readonly connections = new Map<Socket, ConnectionState>();
  private requests = 0;
  private accepted = 0;

  /** Connections accepted since start. */
  get acceptedTotal(): number {
    return this.accepted;
  }

  /** Requests accepted and not yet answered. */
  get inFlight(): number {
    return this.requests;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.accepted += 1;
      this.connections.set(socket, { busy: 0, served: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const state = this.connections.get(req.socket);
      if (state) state.busy += 1;
      this.requests += 1;
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        this.requests -= 1;
        if (state) {
          state.busy -= 1;
          state.served += 1;
        }
      };
      res.once('finish', end);
      res.once('close', end);
    });
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Ends connections that have answered at least one request and have none running. */
  closeIdleKeepAlive(): void {
    for (const [socket, state] of this.connections) {
      if (state.busy === 0 && state.served > 0) socket.end();
    }
  }
}

/**
 * Drains and closes the application:
 * 1. readiness starts answering 503 and responses ask clients to close their connection; for
 *    `delayMs` the listener stays open (load balancers take a moment to stop sending traffic, and
 *    connections a client has opened but the kernel has not handed over yet would be reset);
 * 2. once connections already queued by the kernel are accepted, the listener closes, so new
 *    connections are refused while requests already accepted keep going;
 * 3. keep-alive connections are ended as they become idle between requests (a connection that
 *    has not sent its first request yet is left alone: its request is answered);
 * 4. when every connection has ended, or after `graceMs` (then the remaining ones are cut),
 *    `app.close()` runs the modules' shutdown hooks, which close the database pool.
 */
export async function shutdownGracefully(
  app: INestApplication,
  options: { delayMs: number; graceMs: number; onListenerClosed?: (inFlight: number) => void },
): Promise<ShutdownOutcome> {
  const { delayMs, graceMs } = options;
  app.get(LifecycleState).beginShutdown();
  const tracker = app.get(ConnectionTracker);
  const server = app.getHttpServer() as Server;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  // One turn of the event loop: connections the kernel has already queued get accepted (closing
  // the listener would reset them).
  await new Promise((resolve) => setImmediate(resolve));
  const inFlightAtStart = tracker.inFlight;
  const connectionsAtStart = tracker.openConnections;
  // net.Server's close (not http.Server's, which resets connections it deems idle, see above).
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  options.onListenerClosed?.(inFlightAtStart);
  tracker.closeIdleKeepAlive();
  const sweep = setInterval(() => tracker.closeIdleKeepAlive(), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!drained) server.closeAllConnections();
  await app.close();
  return { drained, inFlightAtStart, connectionsAtStart, connectionsAccepted: tracker.acceptedTotal };
}

/** While draining, answers carry `Connection: close` so keep-alive clients reconnect elsewhere. */
export function connectionCloseWhileDraining(state: LifecycleState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (state.shuttingDown) res.setHeader('Connection', 'close');
    next();
  };
}
