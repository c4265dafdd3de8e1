// eslint-disable-next-line @typescript-eslint/no-require-imports -- the jest environment is plain CommonJS
const QuietLogEnvironment = require('../support/quiet-log-environment');

/** The environment's event handling on its own (constructing one needs a whole jest project). */
function environment(): { held: string[]; handleTestEvent(event: unknown): Promise<void> } {
  const env = Object.create(QuietLogEnvironment.prototype);
  env.held = [];
  return env;
}

async function stderrOf(fn: () => Promise<void>): Promise<string> {
  const original = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

describe('quiet-log-environment: service error lines are shown under failures only', () => {
  const line = '{"level":"error","status":500,"msg":"request completed"}';

  it('holds the lines of a passing test back', async () => {
    const env = environment();
    const out = await stderrOf(async () => {
      await env.handleTestEvent({ name: 'test_start' });
      env.held.push(line);
      await env.handleTestEvent({ name: 'test_done', test: { name: 'passes', errors: [] } });
    });
    expect(out).toBe('');
  });

  it('prints the lines of a failing test, once, naming it', async () => {
    const env = environment();
    const out = await stderrOf(async () => {
      await env.handleTestEvent({ name: 'test_start' });
      env.held.push(line);
      await env.handleTestEvent({ name: 'test_done', test: { name: 'fails', errors: [new Error('x')] } });
      await env.handleTestEvent({ name: 'test_start' });
      await env.handleTestEvent({ name: 'test_done', test: { name: 'fails too', errors: [new Error('y')] } });
    });
    expect(out).toBe(`\nservice log lines (error level) during "fails":\n${line}\n\n`);
  });

  it('prints the lines of a failing hook', async () => {
    const env = environment();
    env.held.push(line);
    const out = await stderrOf(() => env.handleTestEvent({ name: 'hook_failure', hook: { type: 'beforeAll' } }));
    expect(out).toContain(`during the beforeAll hook:\n${line}`);
  });
});
