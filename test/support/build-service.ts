import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { transformFileSync, type Options } from '@swc/core';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with jest.config.js, plain CommonJS
const SWC_OPTIONS = require('./swc-options') as Options;

const ROOT = resolve(__dirname, '../..');

/**
 * Compiles `src/` to plain CommonJS with swc (the same transform jest uses, without type-checking:
 * `npm test` type-checks first), so a test can run the real service as its own process in a second
 * instead of waiting for `nest build`. Returns the path of `main.js`.
 */
export function buildService(outDir: string): string {
  const out = resolve(ROOT, outDir);
  rmSync(out, { recursive: true, force: true });
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  for (const file of walk(resolve(ROOT, 'src'))) {
    const { code } = transformFileSync(file, {
      ...SWC_OPTIONS,
      sourceMaps: false,
      swcrc: false,
    });
    const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  return join(out, 'src', 'main.js');
}
