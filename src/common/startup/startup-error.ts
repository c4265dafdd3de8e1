/**
 * A start-up failure explained for the person who started the process: what failed, where
 * (host:port, database, folder, the other process) and what to do about it. `main.ts` prints it
 * as one line on stderr and as a `fatal` JSON log line with the three parts as fields.
 */
export class StartupError extends Error {
  constructor(
    readonly what: string,
    readonly where: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} (${where}): ${fix}`, options);
    this.name = 'StartupError';
  }
}

/** The error codes Node.js and node-postgres put on a failure, wherever they nest it. */
export function errorCodeOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  // AggregateError (every address of a host refused) and wrapped driver errors keep the code
  // one level down.
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof code === 'string' && code !== '') return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return undefined;
}
