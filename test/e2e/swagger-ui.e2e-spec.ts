import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { RTIF_BODY_EXAMPLE } from '../../src/task-instances/rtif/dto/rendered-fields.dto';
import { createTaskInstance, http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { adminToken, executionToken } from '../support/tokens';

/** Debian's Chromium: installed by the test set-up (`.ci/run`), never downloaded by Playwright. */
const CHROMIUM = '/usr/bin/chromium';
// Each run writes its screenshot under .data/ (git-ignored); UPDATE_SCREENSHOT=true refreshes the
// one the README shows, so an ordinary test run leaves the working tree clean.
const SCREENSHOT = resolve(__dirname, process.env.UPDATE_SCREENSHOT === 'true' ? '../../docs/swagger-ui.png' : '../../.data/swagger-ui.png');
const RTIF_PATH = '/execution/task-instances/{task_instance_id}/rtif';
const XCOM_PATH = '/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}';
const CREATE_PATH = '/api/v1/task-instances';
const TOKEN_PATH = '/api/v1/task-instances/{task_instance_id}/token';

/** Swagger UI's Authorize dialog, as a person uses it: (Logout,) paste the bearer token, Authorize, Close. */
async function authorize(page: Page, token: string): Promise<void> {
  await page.locator('.auth-wrapper .btn.authorize').click();
  const dialog = page.locator('.modal-ux');
  const logout = dialog.locator('button.modal-btn.auth', { hasText: 'Logout' });
  const input = dialog.locator('input#auth-bearer-value, input[type="text"]').first();
  // Already authorized: the dialog shows Logout instead of the input.
  await input.or(logout).first().waitFor();
  if (await logout.isVisible()) await logout.click();
  await input.fill(token);
  await dialog.locator('button.modal-btn.auth.authorize').click();
  await dialog.locator('button.btn-done').click();
}

/**
 * "Try it out" on one operation with its pre-filled body left as it is: only the path id (which
 * Swagger UI leaves empty) is typed in. Returns the live status and the parsed response body.
 */
async function tryItOut(page: Page, method: string, path: string, taskInstanceId?: string): Promise<{ status: string; body: any; operation: Locator }> {
  const operation = page.locator(`.opblock.opblock-${method}`, { has: page.locator(`[data-path="${path}"]`) });
  await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  if (taskInstanceId !== undefined) await operation.locator('tr[data-param-name="task_instance_id"] input').fill(taskInstanceId);
  await operation.getByRole('button', { name: 'Execute' }).click();
  const live = operation.locator('.live-responses-table');
  const status = live.locator('tr.response .response-col_status').first();
  await status.waitFor({ state: 'visible', timeout: 30_000 });
  const text = (await live.locator('tr.response .response-col_description .microlight, tr.response .response-col_description pre').first().innerText()).trim();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: (await status.innerText()).trim(), body, operation };
}

describe('Swagger UI in a real browser (Debian Chromium via playwright-core)', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // Missing browser = failure, not a skip: CI installs it before the suite runs.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (bash .ci/run does)`);
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("does the README's Swagger path with no edit to any pre-filled value: Authorize, create, token, Authorize again, RTIF 201", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Every request the page makes stays on this machine (the UI is served by the app itself).
    const offHost: string[] = [];
    let onHost = 0;
    page.on('request', (r) => {
      if (r.url().startsWith(t.baseUrl)) onHost++;
      else if (!r.url().startsWith('data:')) offHost.push(r.url());
    });
    await page.goto(`${t.baseUrl}/docs`);

    // 1. Authorize with the admin token (what `npm start` prints).
    await authorize(page, await adminToken());
    // 2. Create a task instance with the pre-filled body.
    const created = await tryItOut(page, 'post', CREATE_PATH);
    expect(created.status).toBe('201');
    expect(created.body).toMatchObject({ dag_id: 'example_dag', task_id: 'extract', state: 'queued', id: expect.any(String) });
    // 3. A token for it, with the pre-filled body (an execution token).
    const issued = await tryItOut(page, 'post', TOKEN_PATH, created.body.id);
    expect(issued.status).toBe('201');
    expect(issued.body).toMatchObject({ scope: 'execution', task_instance_id: created.body.id });
    // 4. Authorize again with that token; 5. the RTIF PUT with its pre-filled body.
    await authorize(page, issued.body.access_token);
    const written = await tryItOut(page, 'put', RTIF_PATH, created.body.id);
    expect(written.status).toBe('201');
    expect(written.body).toEqual({ message: 'Rendered task instance fields successfully set' });

    // The write really happened, redacted.
    const fields = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${created.body.id}/rendered-fields`);
    expect(fields.body.rendered_fields).toEqual({ ...RTIF_BODY_EXAMPLE, env: { ...RTIF_BODY_EXAMPLE.env, API_TOKEN: '***' } });
    // The listener saw the page's requests (the page, its assets, the three calls), so an empty
    // off-host list means something.
    expect(onHost).toBeGreaterThanOrEqual(6);
    expect(offHost).toEqual([]);

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    // The RTIF operation from its header down to the live 201 (not the documented responses below).
    const operation = written.operation;
    const live = operation.locator('.live-responses-table');
    // At the top, bounding boxes (viewport coordinates) are page coordinates, as a full-page clip needs.
    await page.evaluate('window.scrollTo(0, 0)');
    const from = (await operation.boundingBox())!;
    const to = (await live.boundingBox())!;
    await page.screenshot({ path: SCREENSHOT, fullPage: true, clip: { x: from.x, y: from.y, width: from.width, height: to.y + to.height - from.y + 12 } });
    await page.close();
  }, 120_000);

  it('sets an XCom with "Try it out" (201) and gets it back (200), with the task\'s token', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('swagger_ui'), run_id: 'manual__2026-11-25', task_id: 'extract' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.baseUrl}/docs`);
    await authorize(page, await executionToken(ti.id));

    /** Opens one operation of the XCom path, fills its path parameters, executes it, returns the live status and body. */
    async function execute(method: 'post' | 'get', body?: string): Promise<{ status: string; body: string }> {
      const operation = page.locator(`.opblock.opblock-${method}`, { has: page.locator(`[data-path="${XCOM_PATH}"]`) });
      await operation.locator('.opblock-summary').first().click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      for (const [name, value] of [
        ['dag_id', ti.dag_id],
        ['run_id', ti.run_id],
        ['task_id', ti.task_id],
        ['key', 'return_value'],
      ]) {
        await operation.locator(`tr[data-param-name="${name}"] input`).fill(value);
      }
      if (body !== undefined) await operation.locator('textarea.body-param__text').fill(body);
      await operation.getByRole('button', { name: 'Execute' }).click();
      const live = operation.locator('.live-responses-table');
      const status = live.locator('tr.response .response-col_status').first();
      await status.waitFor({ state: 'visible', timeout: 30_000 });
      return { status: (await status.innerText()).trim(), body: await live.locator('tr.response .response-col_description').first().innerText() };
    }

    const set = await execute('post', JSON.stringify({ rows: 42, big: 12345678901234567890n.toString() }));
    expect(set.status).toBe('201');
    expect(set.body).toContain('XCom successfully set');
    const got = await execute('get');
    expect(got.status).toBe('200');
    expect(got.body).toContain('"rows": 42');
    // The write really happened.
    const read = await http(t.baseUrl, 'GET', `/execution/xcoms/${ti.dag_id}/${ti.run_id}/${ti.task_id}/return_value`, undefined, {
      authorization: `Bearer ${await executionToken(ti.id)}`,
    });
    expect(read.body).toEqual({ key: 'return_value', value: { rows: 42, big: '12345678901234567890' } });
    await page.close();
  }, 90_000);

  it('shows Idempotency-Key as a parameter of the creation, and a second Execute with it is a replay', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.baseUrl}/docs`);
    await authorize(page, await adminToken());
    const operation = page.locator('.opblock.opblock-post', { has: page.locator('[data-path="/api/v1/task-instances"]') });
    await operation.locator('.opblock-summary').first().click();
    const keyRow = operation.locator('tr[data-param-name="Idempotency-Key"]');
    expect(await keyRow.locator('.parameter__in').innerText()).toContain('header');
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const key = `swagger-${uniqueId('k')}`;
    const dagId = uniqueId('swagger_idem');
    await keyRow.locator('input').fill(key);
    await operation.locator('textarea.body-param__text').fill(JSON.stringify({ dag_id: dagId, run_id: 'manual__2026-11-28', task_id: 'extract' }));
    const live = operation.locator('.live-responses-table');
    const execute = async () => {
      await operation.getByRole('button', { name: 'Execute' }).click();
      const status = live.locator('tr.response .response-col_status').first();
      await status.waitFor({ state: 'visible', timeout: 30_000 });
      return { status: (await status.innerText()).trim(), text: await live.locator('tr.response .response-col_description').first().innerText() };
    };
    const first = await execute();
    expect(first.status).toBe('201');
    expect(first.text).not.toContain('idempotent-replayed');
    await operation.getByRole('button', { name: 'Clear' }).click();
    const second = await execute();
    expect(second.status).toBe('201');
    expect(second.text).toContain('idempotent-replayed: true');
    const n = await withDirect(async (c) => (await c.query('select count(*)::int as n from task_instance where dag_id = $1', [dagId])).rows[0].n);
    expect(n).toBe(1);
    await page.close();
  }, 90_000);
});
