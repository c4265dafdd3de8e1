import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp } from '../../src/bootstrap';
import { type AppConfig } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/settings';
import { testDatabaseUrl } from './test-database';
import { defaultTokenFor, TEST_JWT_SECRET } from './tokens';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>: the app listens for real so concurrent requests are real. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Boots the real application (same `createApp` as `main.ts`) against the test database, listening
 * on an ephemeral port. `env` overrides settings the way a deployment would; tokens are signed
 * with `TEST_JWT_SECRET` unless `env` configures other keys (`JWT_SECRET: ''` unsets it).
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    imports?: ModuleMetadata['imports'];
    logDestination?: Writable;
    /** Where the app's pool connects (default: the test database), e.g. a proxy in front of it. */
    databaseUrl?: string;
  } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? testDatabaseUrl();
  // DB_ISOLATION from the environment runs the whole suite in another isolation mode (.ci/run does
  // it once with serializable); a test's own env still wins.
  const isolation = process.env.DB_ISOLATION ? { DB_ISOLATION: process.env.DB_ISOLATION } : {};
  const config = loadAppConfig({ LOG_LEVEL: 'warn', JWT_SECRET: TEST_JWT_SECRET, ...isolation, ...options.env, DATABASE_URL: databaseUrl });
  Logger.overrideLogger(process.env.TEST_LOGS === 'true' ? ['log', 'warn', 'error'] : ['error']);
  const logDestination = options.logDestination ?? (process.env.TEST_LOGS === 'true' ? undefined : errorLinesToStderr());
  const app = await createApp({ config, databaseUrl, imports: options.imports, logDestination });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    // A start-up check that fails after the modules initialised (an onApplicationBootstrap check)
    // leaves the ORM's pool open; closed here, or it connects after jest tore the file down.
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  return { app, config, baseUrl: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** Unique ids so test files and cases never see each other's rows. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * A plain fetch wrapper: real HTTP over loopback, JSON in and out. Without an `authorization`
 * header it attaches a valid token for the path (see `defaultTokenFor`); pass
 * `{ authorization: undefined }` to send none.
 */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<HttpResult<T>> {
  const given = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  const token = given ? undefined : await defaultTokenFor(path);
  const sent = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const init: RequestInit = { method, headers: token ? { authorization: `Bearer ${token}`, ...sent } : sent };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/**
 * `http` with `Accept: application/problem+json` (unless `headers` names an `accept`): execution
 * routes then answer RFC 9457 problem details instead of Airflow's `{"detail": …}`. For tests about
 * a problem's content; the Airflow default is pinned in test/e2e/airflow-errors.e2e-spec.ts.
 * Control-plane routes answer problem details either way.
 */
export function problemHttp<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<HttpResult<T>> {
  const given = Object.keys(headers).some((name) => name.toLowerCase() === 'accept');
  return http<T>(baseUrl, method, path, body, given ? headers : { accept: 'application/problem+json', ...headers });
}

export interface CreatedTi {
  id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
}

export async function createTaskInstance(baseUrl: string, body: Record<string, unknown>): Promise<CreatedTi> {
  const res = await http<CreatedTi>(baseUrl, 'POST', '/api/v1/task-instances', body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body;
}

/**
 * Test default for JSON logs: only `error` and `fatal` lines are kept, and they are held by the
 * jest environment (test/support/quiet-log-environment.js), which prints them only under a failed
 * test: many tests provoke a 503 or a 500 on purpose (TEST_LOGS=true: every line, at once).
 */
function errorLinesToStderr(): Writable {
  const held = (globalThis as { __heldLogLines?: string[] }).__heldLogLines;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!/"level":"(error|fatal)"/.test(line)) continue;
        if (held) held.push(line);
        else process.stderr.write(`${line}\n`);
      }
      callback();
    },
  });
}

/** Collects the JSON log lines an app writes, for assertions on log content. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    callback();
  }
}
