import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that holds back everything the server sends after an
 * ErrorResponse for `delayMs`, so the ReadyForQuery that follows the error (and carries the
 * transaction status) reaches the driver in a later read, well after node-postgres has already
 * rejected the failed statement. PostgreSQL flushes an error at once and ReadyForQuery separately,
 * so this happens for real under load; the proxy makes it happen every time.
 */
export async function startErrorSplittingProxy(targetUrl: string, delayMs = 150): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Server messages are framed: a type byte, then an int32 length that counts itself.
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const message = pending.subarray(0, 1 + pending.readInt32BE(1));
        pending = pending.subarray(message.length);
        chain = chain.then(async () => {
          if (!client.destroyed) client.write(message);
          if (message[0] === 0x45 /* 'E': ErrorResponse */) await new Promise((r) => setTimeout(r, delayMs));
        });
      }
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', () => void chain.then(closeBoth)).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
