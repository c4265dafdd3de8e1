// Imported first by every bench entry point. The service runs on the pinned Node.js (the
// devDependency `node`), which `npm run …` puts first on PATH; a bench started any other way on an
// older Node reruns itself on the pinned one, so its figures compare with the service's.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (Number(process.versions.node.split('.')[0]) < 24) {
  const pinned = new URL('../../node_modules/.bin/node', import.meta.url).pathname;
  if (existsSync(pinned)) process.exit(spawnSync(pinned, process.argv.slice(1), { stdio: 'inherit' }).status ?? 1);
}
