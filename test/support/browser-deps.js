// The Swagger UI browser test drives Debian's Chromium (never a browser Playwright downloads).
// `npm test` runs this first (`pretest`, also `npm run test:browser-deps`), so that
// `npm install && npm test` is enough on a fresh Debian machine. Where installing is impossible
// (not root, no apt-get) it says so, and the browser test fails naming what is missing.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');

if (existsSync('/usr/bin/chromium') || process.env.TEST_SKIP_CHROMIUM_INSTALL === 'true') process.exit(0);
if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
  process.stdout.write('chromium is missing and cannot be installed here (needs root and apt-get); the Swagger UI browser test will fail\n');
  process.exit(0);
}
process.stdout.write('installing Debian chromium for the Swagger UI browser test (once)…\n');
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', env, timeout: 600_000 });
} catch {
  process.stdout.write('chromium could not be installed; the browser test will fail\n');
}
