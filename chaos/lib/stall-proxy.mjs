// A TCP proxy between the service and its database that can stall: while paused it forwards
// nothing in either direction (it holds what arrives and sends it, in order, on resume), so every
// statement in flight and every new connection waits, as behind a network that drops into a black
// hole for a while and comes back without resetting anything.
import { connect, createServer } from 'node:net';

/** Forwards 127.0.0.1:<port> to `host:port`. `pause()` stalls every connection, `resume()` lets them go on. */
export async function startStallProxy({ host, port }) {
  const sockets = new Set();
  /** Chunks held during a stall, across all connections, in arrival order: [destination, chunk]. */
  let held = [];
  let paused = false;
  const server = createServer((client) => {
    const upstream = connect(port, host);
    sockets.add(client).add(upstream);
    const forward = (to) => (chunk) => {
      if (paused) held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const closeBoth = () => {
      // A close during a stall is held back too: the other side learns of it only on resume.
      if (paused) return void held.push([null, closeBoth]);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const queue = held;
      held = [];
      for (const [to, item] of queue) {
        if (to === null) item();
        else if (!to.destroyed) to.write(item);
      }
    },
    close() {
      paused = false;
      held = [];
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
