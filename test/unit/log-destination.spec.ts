import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferedStdout, createRootLogger, STDOUT_BUFFER } from '../../src/common/logging/logging';

const ROOT = join(__dirname, '../..');

/** pino's destination is a SonicBoom stream: an EventEmitter with `end()`. */
function stream_(stream: unknown): { once(event: string, listener: () => void): ReturnType<typeof stream_>; end(): void } {
  return stream as ReturnType<typeof stream_>;
}

/** Lines of a file of JSON log lines. */
function linesOf(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls `read` until it returns a truthy value or `withinMs` has passed (then returns the last value). */
async function eventually<T>(read: () => T, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  let value = read();
  while (!value && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = read();
  }
  return value;
}

/**
 * Runs a child `node` that logs `count` request-sized lines through the service's root logger on
 * stdout, then ends as `how` says; returns its stdout and exit code.
 */
function child(how: 'process.exit' | 'uncaught exception' | 'returns', count: number): Promise<{ stdout: string; code: number | null }> {
  const end = { 'process.exit': 'process.exit(3);', 'uncaught exception': "throw new Error('boom');", returns: '' }[how];
  const script = `
    const { createRootLogger } = require('./src/common/logging/logging.ts');
    const log = createRootLogger({ logLevel: 'info' });
    for (let i = 0; i < ${count}; i++) log.info({ i, route: '/execution/task-instances/:task_instance_id/rtif', status: 201 }, 'request completed');
    ${end}`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--require', './test/support/register-ts.js', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ stdout, code }));
  });
}

describe('log destination (stdout, buffered)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tea-log-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gathers lines below the buffer size, writes them within the flush interval, and at once on flush()', async () => {
    const file = join(dir, 'buffered.log');
    const stream = bufferedStdout(file);
    await new Promise<void>((resolve) => stream_(stream).once('ready', resolve));
    try {
      const log = createRootLogger({ logLevel: 'info' }, stream);
      log.info({ n: 1 }, 'first');
      log.info({ n: 2 }, 'second');
      // Two short lines are far below the buffer: nothing written yet (one write for many lines is the point).
      expect(readFileSync(file, 'utf8')).toBe('');
      // A quiet service's lines still go out within the interval.
      const text = await eventually(() => readFileSync(file, 'utf8'), 20 * STDOUT_BUFFER.flushIntervalMs);
      expect(linesOf(text).map((l) => l.msg)).toEqual(['first', 'second']);

      log.info('third');
      await new Promise<void>((resolve, reject) => log.flush((error) => (error ? reject(error) : resolve())));
      expect(linesOf(readFileSync(file, 'utf8')).map((l) => l.msg)).toEqual(['first', 'second', 'third']);
    } finally {
      await new Promise<void>((resolve) => stream_(stream).once('close', resolve).end());
    }
  });

  it('writes a full buffer without waiting for the interval', async () => {
    const file = join(dir, 'full.log');
    const stream = bufferedStdout(file);
    await new Promise<void>((resolve) => stream_(stream).once('ready', resolve));
    try {
      const log = createRootLogger({ logLevel: 'info' }, stream);
      const padding = 'x'.repeat(200);
      // More than minLength bytes: the destination writes on its own, long before any interval.
      for (let i = 0; i < 40; i++) log.info({ i, padding }, 'line');
      const text = await eventually(() => readFileSync(file, 'utf8'), STDOUT_BUFFER.flushIntervalMs * 20);
      expect(text.length).toBeGreaterThanOrEqual(STDOUT_BUFFER.minLength);
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      expect(linesOf(readFileSync(file, 'utf8')).map((l) => l.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      await new Promise<void>((resolve) => stream_(stream).once('close', resolve).end());
    }
  });

  it.each([
    ['process.exit', 3],
    ['uncaught exception', 1],
    ['returns', 0],
  ] as const)('loses no line when the process ends by %s', async (how, exitCode) => {
    // 25 lines (~4.3 KB): the first buffer-full is written on the way, the rest only at the end; an
    // asynchronous destination wrote that rest ahead of the first part.
    const { stdout, code } = await child(how, 25);
    expect(code).toBe(exitCode);
    expect(linesOf(stdout).map((l) => l.i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});
