#!/usr/bin/env node
// `node scripts/dockerfile-lint.mjs [Dockerfile…]` (default `Dockerfile`): lints the image's
// Dockerfile, run by `npm run lint` and so by CI. hadolint is the usual tool, but it is neither a
// Debian package nor on the npm registry, the only two sources these machines reach. This uses
// dockerfile-utils (the validator behind VS Code's Dockerfile support) for syntax and instruction
// semantics, plus the handful of hadolint rules that bear on this image, checked on the same
// parser's instructions (dockerfile-ast). Each rule names its hadolint code, so a team that can run
// hadolint knows what it maps to. Exit 1 and one line per problem when anything is found.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';

/**
 * The problems in one Dockerfile's text, as `line N: [code] message` strings (1-based lines).
 * @param {string} text
 * @returns {string[]}
 */
export function lintDockerfile(text) {
  const problems = [];
  const at = (range) => `line ${range.start.line + 1}`;
  for (const d of validate(text)) {
    const level = d.severity === ValidationSeverity.ERROR ? 'error' : 'warning';
    problems.push(`${at(d.range)}: [dockerfile-utils ${level} ${d.code}] ${d.message}`);
  }

  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const stageNames = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
  if (froms.length === 0) problems.push('line 1: [DL3061] no FROM instruction');

  for (const from of froms) {
    const image = from.getImageName();
    if (stageNames.has(image)) continue; // FROM <earlier stage>
    const tag = from.getImageTag();
    if (from.getImageDigest()) continue;
    if (!tag) problems.push(`${at(from.getRange())}: [DL3006] always tag the image explicitly (${image})`);
    else if (tag === 'latest') problems.push(`${at(from.getRange())}: [DL3007] using latest is prone to errors (${image}:latest)`);
  }

  // DL3002: the last USER of the image (the runtime stage) must not be root.
  const lastStageStart = froms.at(-1)?.getRange().start.line ?? 0;
  const users = instructions.filter((i) => i.getKeyword() === 'USER' && i.getRange().start.line > lastStageStart);
  const user = users.at(-1)?.getArgumentsContent()?.trim();
  if (!user) problems.push(`line ${lastStageStart + 1}: [DL3002] the runtime stage never switches away from root (no USER)`);
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`${at(users.at(-1).getRange())}: [DL3002] last USER should not be root`);

  const lastStage = instructions.filter((i) => i.getRange().start.line >= lastStageStart);
  if (!lastStage.some((i) => i.getKeyword() === 'HEALTHCHECK')) {
    problems.push(`line ${lastStageStart + 1}: [house] the runtime stage has no HEALTHCHECK (orchestrators without probes rely on it)`);
  }

  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArgumentsContent() ?? '';
    const line = at(instruction.getRange());
    if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && !args.trim().startsWith('[')) {
      problems.push(`${line}: [DL3025] use the JSON (exec) form for ${keyword}, so signals reach the process`);
    }
    if (keyword === 'WORKDIR' && !/^(\/|\$)/.test(args.trim())) {
      problems.push(`${line}: [DL3000] use absolute WORKDIR`);
    }
    if (keyword !== 'RUN') continue;
    if (/\bapt-get\s+install\b/.test(args) && !/--no-install-recommends/.test(args)) {
      problems.push(`${line}: [DL3015] avoid additional packages by specifying --no-install-recommends`);
    }
    if (/\bapt-get\s+install\b/.test(args) && !/rm -rf \/var\/lib\/apt\/lists/.test(args)) {
      problems.push(`${line}: [DL3009] delete the apt-get lists after installing something`);
    }
    if (/\bsudo\b/.test(args)) problems.push(`${line}: [DL3004] do not use sudo`);
    if (/\bnpm\s+(install|i)\b/.test(args)) {
      problems.push(`${line}: [house] use npm ci (the committed package-lock.json), not npm install`);
    }
    if (/(^|&&|;)\s*cd\s/.test(args)) problems.push(`${line}: [DL3003] use WORKDIR to switch to a directory`);
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  let failed = false;
  for (const file of files.length > 0 ? files : ['Dockerfile']) {
    const problems = lintDockerfile(readFileSync(file, 'utf8'));
    for (const p of problems) console.error(`${file}: ${p}`);
    failed ||= problems.length > 0;
    if (problems.length === 0) console.log(`${file}: no problems (dockerfile-utils + hadolint rules DL3000–DL3025, DL3061)`);
  }
  process.exit(failed ? 1 : 0);
}
