import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';
import { adminToken } from '../support/tokens';

const README = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** The README's curl walk-through, as a newcomer pastes it, pointed at this test's service. */
function walkThrough(baseUrl: string, admin: string): string {
  // The walk-through and the retry example after it (which reuses its variables).
  const blocks = /## Walk-through \(curl\)[\s\S]*?```bash\n([\s\S]*?)```[\s\S]*?```bash\n([\s\S]*?)```/.exec(README)!;
  const block = `${blocks[1]}\n${blocks[2]}`;
  expect(block).toContain('B=http://localhost:8080\n');
  expect(block).toContain('ADMIN=eyJhbGciOi...');
  return block.replace('B=http://localhost:8080\n', `B=${baseUrl}\n`).replace(/ADMIN=eyJhbGciOi\.\.\.[^\n]*/, `ADMIN=${admin}`);
}

describe('README walk-through (bash + curl, as written)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('prints the status codes its comments show, and runs again as it is', async () => {
    const script = walkThrough(t.baseUrl, await adminToken());
    // Every "# NNN" comment line is a status the command above it prints with -w '%{http_code}'.
    const documented = [...script.matchAll(/^# (\d{3})$/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThanOrEqual(9);
    for (let run = 1; run <= 2; run++) {
      // Asynchronous: the service answers from this very process.
      const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) =>
        execFile(
          'bash',
          ['-e', '-o', 'pipefail', '-c', script],
          { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 },
          (error, stdout, stderr) => done({ status: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
        ),
      );
      const printed = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => /^\d{3}$/.test(l));
      expect({ run, status: result.status, printed }).toEqual({ run, status: 0, printed: documented });
    }
  });
});
