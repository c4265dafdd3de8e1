// Decides whether dist/ was built from the sources now in the tree, and builds it when it was not.
//
//   node scripts/dist-stamp.mjs build    always build (nest build), then stamp dist/
//   node scripts/dist-stamp.mjs ensure   build only when dist/ is missing or stale (npm start)
//   node scripts/dist-stamp.mjs check    exit 0 when dist/ is current, 1 when not; builds nothing
//
// "Current" is decided by content, not by mtimes: the stamp (dist/.build-stamp.json) records a
// SHA-256 over every file the build reads (src/, the tsconfigs, nest-cli.json,
// mikro-orm.config.ts, package-lock.json), taken *before* the build started. A checkout, `git
// stash` or a copy that keeps old mtimes cannot make a stale dist/ look current, and a file edited
// while the build runs leaves a stamp that no longer matches, so the next start builds again.
// nest-cli.json's deleteOutDir empties dist/ first, so a failed build leaves no stamp at all.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(root, 'dist/.build-stamp.json');
const ENTRY = join(root, 'dist/src/main.js');
/** Files and folders whose content decides what `nest build` emits. */
export const BUILD_INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'mikro-orm.config.ts', 'package-lock.json'];

/** SHA-256 over the build inputs' relative paths and contents, in a stable order. */
export function sourceHash() {
  const hash = createHash('sha256');
  const files = BUILD_INPUTS.flatMap((input) => {
    const path = join(root, input);
    if (!existsSync(path)) return [];
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  })
    .map((file) => relative(root, file).split('\\').join('/'))
    .sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return { sha256: hash.digest('hex'), files: files.length };
}

/** Why dist/ cannot be served as it is, or null when it is current. */
export function staleReason() {
  if (!existsSync(ENTRY)) return 'dist/ has not been built';
  if (!existsSync(STAMP)) return 'dist/ has no build stamp (built by something other than npm run build)';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'the build stamp is unreadable';
  }
  return stamp.sha256 === sourceHash().sha256 ? null : 'the sources changed since dist/ was built';
}

function build() {
  const before = sourceHash();
  const nest = join(root, 'node_modules/@nestjs/cli/bin/nest.js');
  if (!existsSync(nest)) {
    process.stderr.write(
      '\nstart-up failed: dist/ must be rebuilt but the build tools are missing (an image built without dev dependencies?): run npm ci, then npm run build\n\n',
    );
    process.exit(1);
  }
  const started = Date.now();
  // The same Node that runs this script: under npm that is the pinned devDependency.
  const result = spawnSync(process.execPath, [nest, 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\nbuild failed (nest build exited ${result.status ?? result.signal}): dist/ is not served\n\n`);
    process.exit(1);
  }
  writeFileSync(STAMP, `${JSON.stringify({ sha256: before.sha256, files: before.files, built_at: new Date().toISOString() }, null, 2)}\n`);
  process.stderr.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'build') {
    build();
  } else if (command === 'ensure') {
    const reason = staleReason();
    if (reason) {
      process.stderr.write(`building: ${reason}\n`);
      build();
    }
  } else if (command === 'check') {
    const reason = staleReason();
    process.stdout.write(`${reason ?? 'dist/ is current'}\n`);
    process.exit(reason ? 1 : 0);
  } else {
    process.stderr.write('usage: node scripts/dist-stamp.mjs build|ensure|check\n');
    process.exit(2);
  }
}
