import { WRITE_ROUTES } from '../support/hostile-routes';
import { authRule, routeInventory, type InventoryRoute } from '../support/route-inventory';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The safety net for routes added later: the inventory is generated from the router of the real
 * application, so a new route is checked by construction, and each rule below names the route that
 * breaks it. Set TEST_LOGS=true to print the inventory.
 */
describe('route inventory (every route of the application, from the router)', () => {
  let t: TestApp;
  let routes: InventoryRoute[];
  beforeAll(async () => {
    t = await startTestApp();
    routes = routeInventory(t.app);
    if (process.env.TEST_LOGS === 'true') {
      const hostile = new Set(WRITE_ROUTES.map((r) => r.route));
      const policy = (r: InventoryRoute) => (r.idempotency ? JSON.stringify(r.idempotency) : '-');
      process.stdout.write(
        `${routes.map((r) => `${r.key} | ${authRule(r)} | ${policy(r)} | hostile-input: ${r.takesBody ? hostile.has(r.key) : 'n/a'}`).join('\n')}\n`,
      );
    }
  });
  afterAll(() => t.close());

  it('finds the routes of every module, and a handler for every route under a protected prefix', () => {
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining(['PUT /execution/task-instances/:task_instance_id/rtif', 'POST /api/v1/task-instances', 'GET /health/ready', 'GET /metrics']),
    );
    // Express-only routes (Swagger UI, the OpenAPI document) never see the guard: they must be public.
    expect(routes.filter((r) => !r.nest && r.area !== 'public').map((r) => r.key)).toEqual([]);
  });

  it('gives every execution route a way to name its task instance (or @PublicRoute), naming a parameter the route has', () => {
    const broken = routes
      .filter((r) => r.nest && r.area === 'execution' && !r.isPublic)
      .filter((r) => !r.taskInstanceSource || ('param' in r.taskInstanceSource && !r.path.split('/').includes(`:${r.taskInstanceSource.param}`)))
      .map((r) => `${r.key}: ${authRule(r)}`);
    expect(broken).toEqual([]);
  });

  it('runs every execution route in a unit of work (@Idempotency: retries, lock timeout, conflict policy)', () => {
    expect(routes.filter((r) => r.area === 'execution' && !r.isPublic && !r.idempotency).map((r) => r.key)).toEqual([]);
  });

  it('lists every route that takes a body in the hostile-input table, and nothing else', () => {
    const bodyRoutes = routes
      .filter((r) => r.takesBody)
      .map((r) => r.key)
      .sort();
    expect(WRITE_ROUTES.map((r) => r.route).sort()).toEqual(bodyRoutes);
  });
});
