import { createServer } from 'node:net';
import { StartupError, errorCodeOf } from './startup-error';

/** What answers on `port` when it is this service (another `npm start`), for the error line. */
async function whoListens(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: unknown };
    return typeof body.status === 'string' ? 'another task-execution-api answers there (a second `npm start`?)' : undefined;
  } catch {
    return undefined;
  }
}

/** The `StartupError` for a listen failure on `host:port`, or undefined for other errors. */
export async function explainListenError(error: unknown, host: string, port: number, variable: string): Promise<StartupError | undefined> {
  const code = errorCodeOf(error);
  if (code === 'EADDRINUSE') {
    const other = variable === 'PORT' ? await whoListens(port) : undefined;
    return new StartupError(
      `port ${port} is already in use${other ? `: ${other}` : ' by another process'}`,
      `${variable}=${port} on ${host}`,
      `stop that process (\`lsof -i :${port}\` names it), or set ${variable} to a free port`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new StartupError(`this user may not listen on port ${port}`, `${variable}=${port} on ${host}`, `set ${variable} to a port above 1023`, {
      cause: error,
    });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`${host} is not an address of this machine`, `HOST=${host}`, 'set HOST to 0.0.0.0, 127.0.0.1 or one of its addresses', {
      cause: error,
    });
  }
  return undefined;
}

/**
 * Fails fast with a `StartupError` when `host:port` cannot be listened on, so that a taken `PORT`
 * is reported before a whole database has been started for nothing. The probe listens and closes
 * at once; a process that takes the port in between still fails at `listen`, with the same message.
 */
export async function assertCanListen(host: string, port: number, variable: string): Promise<void> {
  const failure = await new Promise<unknown>((resolve) => {
    const probe = createServer();
    probe.once('error', resolve);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
  if (failure === undefined) return;
  throw (await explainListenError(failure, host, port, variable)) ?? failure;
}
