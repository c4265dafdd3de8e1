import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import ts from 'typescript';
import { http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { adminToken } from '../support/tokens';

const ROOT = resolve(__dirname, '../..');
const OUT_DIR = resolve(ROOT, '.data/contract');
const CONTRACT_DIR = resolve(ROOT, 'test/contract');

/** Type-checks `files` with test/contract/tsconfig.json; returns the diagnostics as text. */
function typeCheck(files: string[]): string[] {
  const configFile = ts.readConfigFile(resolve(CONTRACT_DIR, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, CONTRACT_DIR);
  const program = ts.createProgram(files, parsed.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? `${d.file.fileName.replace(`${ROOT}/`, '')}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * The OpenAPI document is proven usable by the clients this service exists for: it validates as
 * OpenAPI 3, openapi-typescript generates types from it, the README's walk-through type-checks
 * against them and runs through openapi-fetch against the live service.
 */
describe('generated client (openapi-typescript + openapi-fetch) runs the walk-through', () => {
  let t: TestApp;
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
  });
  afterAll(() => t.close());

  it('/openapi.json validates as OpenAPI 3 (@apidevtools/swagger-parser)', async () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    const validated = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(Object.keys(validated.paths ?? {})).toEqual(Object.keys(doc.paths as object));
  });

  it('generates types that accept the walk-through and reject misuse', async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(resolve(OUT_DIR, 'openapi.json'), JSON.stringify(doc));
    // The generator's own CLI, as a client project runs it (it is an ES module jest cannot load).
    execFileSync(
      process.execPath,
      [resolve(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), resolve(OUT_DIR, 'openapi.json'), '--output', resolve(OUT_DIR, 'openapi.ts')],
      {
        stdio: 'pipe',
      },
    );
    expect(typeCheck([resolve(CONTRACT_DIR, 'walkthrough.ts')])).toEqual([]);

    // The generated types constrain calls: a wrong path parameter and a body missing a required
    // field are compile errors, so the check above is not vacuous.
    const misuse = resolve(OUT_DIR, 'misuse.ts');
    writeFileSync(
      misuse,
      [
        "import createClient from 'openapi-fetch';",
        "import type { paths } from './openapi';",
        'const client = createClient<paths>({ baseUrl: "http://127.0.0.1" });',
        "void client.PUT('/execution/task-instances/{task_instance_id}/rtif', { params: { path: { id: 'x' } }, body: {} });",
        "void client.POST('/api/v1/task-instances', { body: { dag_id: 'd', run_id: 'r' } });",
        "void client.GET('/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}', { params: { path: { dag_id: 'd', run_id: 'r', task_id: 't' } } });",
      ].join('\n'),
    );
    const errors = typeCheck([misuse]);
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toContain('task_id');
  }, 60_000);

  it('runs the walk-through against the service through openapi-fetch', async () => {
    // Loaded by path so the main type-check (which runs before the types exist) does not follow it;
    // its only import of the generated file is type-only.
    const { walkThrough } = (await import(resolve(CONTRACT_DIR, 'walkthrough'))) as {
      walkThrough(baseUrl: string, names: Record<'dag_id' | 'run_id' | 'task_id', string>, adminToken: string): Promise<Record<string, any>>;
    };
    const names = { dag_id: uniqueId('client'), run_id: 'manual__2026-11-25', task_id: 'extract' };
    const result = await walkThrough(t.baseUrl, names, await adminToken());
    expect(result.created).toEqual(expect.objectContaining({ ...names, id: expect.any(String), map_index: -1, state: 'queued' }));
    expect(result.conflictStatus).toBe(409);
    expect(result.conflict).toEqual({
      type: 'urn:task-execution-api:problem:already_exists',
      title: 'Conflict',
      status: 409,
      detail: 'The request conflicts with an existing resource (already_exists).',
      instance: '/api/v1/task-instances',
      reason: 'already_exists',
      correlation_id: expect.any(String),
      constraint: 'task_instance_composite_key',
    });
    expect(result.tokenStatus).toBe(201);
    expect(result.runStatus).toBe(200);
    expect(result.runContext).toEqual(
      expect.objectContaining({ dag_run: expect.objectContaining({ dag_id: names.dag_id, run_id: names.run_id }), max_tries: 0 }),
    );
    expect(result.heartbeatStatus).toBe(204);
    expect(result.putStatus).toBe(201);
    expect(result.putMessage).toBe('Rendered task instance fields successfully set');
    expect([result.xcomSetStatus, result.xcomSetMessage]).toEqual([201, 'XCom successfully set']);
    expect([result.xcomGetStatus, result.xcom]).toEqual([200, { key: 'return_value', value: { rows: 42, files: ['a.csv'] } }]);
    expect(result.successStatus).toBe(204);
    expect(result.lateHeartbeatStatus).toBe(409);
    expect(result.lateHeartbeat).toEqual({
      detail: { reason: 'not_running', message: 'TI is no longer in the running state and task should terminate', current_state: 'success' },
    });
    expect(result.renderedFields).toEqual({ bash_command: 'echo hi', env: { API_TOKEN: '***', TARGET: 'prod' } });
    expect(result.controlPlaneWithTaskTokenStatus).toBe(403);
  });
});
