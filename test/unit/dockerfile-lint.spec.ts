import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/** Runs `scripts/dockerfile-lint.mjs` (what `npm run lint` runs) on a file; its exit code and output. */
async function lint(file: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'scripts/dockerfile-lint.mjs'), file], { cwd: ROOT });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const error = e as { code: number; stdout: string; stderr: string };
    return { code: error.code, out: error.stdout + error.stderr };
  }
}

describe('Dockerfile lint (scripts/dockerfile-lint.mjs: dockerfile-utils + hadolint rules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockerfile-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the repository's Dockerfile", async () => {
    const { code, out } = await lint(join(ROOT, 'Dockerfile'));
    expect(out).toContain('no problems');
    expect(code).toBe(0);
  });

  it('refuses a Dockerfile that breaks each rule, naming the rule and the line', async () => {
    const bad = join(dir, 'Dockerfile');
    writeFileSync(
      bad,
      ['FROM node:latest', 'WORKDIR app', 'RUN apt-get install -y curl', 'RUN npm install && cd x', 'USER root', 'CMD node main.js', ''].join('\n'),
    );
    const { code, out } = await lint(bad);
    expect(code).toBe(1);
    const codes = [...out.matchAll(/line (\d+): \[(DL\d+|house)\]/g)].map((m) => `${m[1]}:${m[2]}`).sort();
    expect(codes).toEqual(['1:DL3007', '1:house', '2:DL3000', '3:DL3009', '3:DL3015', '4:DL3003', '4:house', '5:DL3002', '6:DL3025'].sort());
    // dockerfile-utils' own validation runs too (it also flags the relative WORKDIR).
    expect(out).toMatch(/line 2: \[dockerfile-utils error \d+\] WORKDIR paths should be absolute/);
  });

  it('accepts an untagged earlier stage as a base and an image pinned by digest', async () => {
    const ok = join(dir, 'Dockerfile.ok');
    writeFileSync(
      ok,
      [
        'FROM node:24-slim@sha256:' + 'a'.repeat(64) + ' AS build',
        'FROM build',
        'USER node',
        'HEALTHCHECK CMD ["node", "-e", "0"]',
        'CMD ["node", "main.js"]',
        '',
      ].join('\n'),
    );
    const { code, out } = await lint(ok);
    expect(out).toContain('no problems');
    expect(code).toBe(0);
  });
});
