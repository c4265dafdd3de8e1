#!/usr/bin/env node
// `node scripts/house-metrics.mjs [dir] [--files]` (default `src`; `--files` lists each carrier): the figures of issue 24's before/after
// table in docs/architecture.md, counted the same way every time so that a rerun after a merge
// compares with the first run. Plain text search, no TypeScript build:
//
//   files, lines          every *.ts file under dir, lines as `wc -l` counts them (newlines)
//   `as unknown as`       occurrences of that text, comments included (a cast explained in a
//                         comment is still a cast)
//   validation mechanisms each row is one way the code refuses input, found by a signature; a
//                         mechanism counts when at least one file under dir carries it, and the
//                         table lists how many files do, so a migration shows up as a row falling
//                         to zero
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'src';

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const MECHANISMS = [
  ['class-validator decorators on DTO classes', /from 'class-validator'/],
  ['zod schemas (config, query DTOs)', /from 'zod'/],
  ['Nest pipes (PipeTransform implementations)', /implements PipeTransform/],
  ['hand-written assert/parse functions throwing RequestValidationException', /throw new RequestValidationException\(/],
  ['JSON depth guards (jsonDepth / maxJsonDepth / *_MAX_DEPTH)', /jsonDepth\(|maxJsonDepth|_MAX_DEPTH\b/],
  ['Express middleware refusing bodies before Nest (sendProblem)', /sendProblem\(req, res/],
  ['param decorators that validate what they extract (createParamDecorator)', /createParamDecorator\(/],
];

let files = 0;
let lines = 0;
let casts = 0;
const carriers = MECHANISMS.map(() => []);
for (const path of walk(root)) {
  const text = readFileSync(path, 'utf8');
  files++;
  lines += (text.match(/\n/g) ?? []).length;
  casts += (text.match(/as unknown as/g) ?? []).length;
  MECHANISMS.forEach(([, signature], i) => {
    if (signature.test(text)) carriers[i].push(relative(root, path));
  });
}

const used = carriers.filter((c) => c.length > 0).length;
console.log(`| measure (${root}/) | value |`);
console.log('| --- | --- |');
console.log(`| files (*.ts) | ${files} |`);
console.log(`| lines | ${lines} |`);
console.log(`| \`as unknown as\` | ${casts} |`);
console.log(`| validation mechanisms | ${used} |`);
console.log();
console.log('| validation mechanism | files |');
console.log('| --- | --- |');
MECHANISMS.forEach(([name], i) => console.log(`| ${name} | ${carriers[i].length} |`));
if (process.argv.includes('--files')) {
  MECHANISMS.forEach(([name], i) => console.log(`\n${name}:\n  ${carriers[i].join('\n  ') || '(none)'}`));
}
