// Lets a child `node` process run src/main.ts directly (the cluster test spawns the real entry
// point): .ts files are compiled on load with @swc/core, with the options jest uses (swc-options.js).
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');
const swcOptions = require('./swc-options');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { filename, ...swcOptions });
  module._compile(code, filename);
};
