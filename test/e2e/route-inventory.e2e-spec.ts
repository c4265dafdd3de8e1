import { MODULE_METADATA } from '@nestjs/common/constants';
import { FEATURES } from '../../src/features';
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
      const policy = (r: InventoryRoute) => (r.unitOfWork ? `${JSON.stringify(r.unitOfWork)}${r.idempotencyKey ? ` key: ${r.idempotencyKey}` : ''}` : '-');
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

  it("mounts every feature manifest's Nest module: each controller it declares serves routes the rules below check", () => {
    const served = new Set(routes.map((r) => r.controller));
    const withModule = FEATURES.filter((f) => f.module !== undefined);
    // A manifest without a module must be one whose routes another feature's module serves (dags).
    expect(FEATURES.filter((f) => f.module === undefined).map((f) => f.name)).toEqual(['dags']);
    const unserved = withModule.flatMap((f) =>
      ((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, f.module!) ?? []) as { name: string }[])
        .filter((c) => !served.has(c))
        .map((c) => `${f.name}: ${c.name}`),
    );
    expect(unserved).toEqual([]);
    // Every feature but secrets (a cipher, no routes) answers at least one route.
    const routed = withModule.filter((f) => ((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, f.module!) ?? []) as unknown[]).length > 0).map((f) => f.name);
    expect(routed.sort()).toEqual(
      FEATURES.map((f) => f.name)
        .filter((n) => n !== 'secrets' && n !== 'dags')
        .sort(),
    );
  });

  it('gives every execution route a way to name its task instance (or @PublicRoute), naming a parameter the route has', () => {
    const broken = routes
      .filter((r) => r.nest && r.area === 'execution' && !r.isPublic)
      .filter((r) => !r.taskInstanceSource || ('param' in r.taskInstanceSource && !r.path.split('/').includes(`:${r.taskInstanceSource.param}`)))
      .map((r) => `${r.key}: ${authRule(r)}`);
    expect(broken).toEqual([]);
  });

  it('runs every execution route in a unit of work (@UnitOfWork: retries, lock timeout, conflict policy)', () => {
    expect(routes.filter((r) => r.area === 'execution' && !r.isPublic && !r.unitOfWork).map((r) => r.key)).toEqual([]);
  });

  it('honours Idempotency-Key only on routes whose unit of work is not idempotent (@IdempotencyKey with @UnitOfWork)', () => {
    const keyed = routes.filter((r) => r.idempotencyKey !== undefined);
    expect(keyed.filter((r) => r.unitOfWork === undefined || r.unitOfWork.idempotent || r.unitOfWork.readOnly === true).map((r) => r.key)).toEqual([]);
    expect(keyed.map((r) => `${r.key} ${r.idempotencyKey}`).sort()).toEqual([
      'POST /api/v1/asset-events optional',
      'POST /api/v1/task-instances optional',
      'POST /execution/dag-runs/:dag_id/:run_id optional',
    ]);
  });

  it("reads from a replica (reads: 'replica') only on GET routes, exactly those docs/operations.md lists", () => {
    const replica = routes.filter((r) => r.unitOfWork?.reads === 'replica');
    expect(replica.filter((r) => r.method !== 'GET').map((r) => r.key)).toEqual([]);
    expect(replica.map((r) => r.key).sort()).toEqual([
      'GET /api/v1/dag-runs/:dag_id/:run_id',
      'GET /api/v1/dags/:dag_id',
      'GET /api/v1/rendered-fields',
      'GET /api/v1/task-instances',
      'GET /api/v1/task-instances/:task_instance_id',
      'GET /api/v1/task-instances/:task_instance_id/rendered-fields',
      'GET /api/v1/task-instances/:task_instance_id/tries',
      'GET /execution/connections/*conn_id',
      'GET /execution/dag-runs/:dag_id/:run_id',
      'GET /execution/dag-runs/:dag_id/:run_id/state',
      'GET /execution/dag-runs/:dag_id/previous',
      'GET /execution/dag-runs/count',
      'GET /execution/dag-runs/previous',
      'GET /execution/dags/:dag_id',
      'GET /execution/task-instances/breadcrumbs',
      'GET /execution/task-instances/count',
      'GET /execution/task-instances/previous/:dag_id/:task_id',
      'GET /execution/task-instances/states',
      'GET /execution/variables/*key',
      'GET /execution/variables/keys',
    ]);
  });

  it('lists every route that takes a body in the hostile-input table, and nothing else', () => {
    const bodyRoutes = routes
      .filter((r) => r.takesBody)
      .map((r) => r.key)
      .sort();
    expect(WRITE_ROUTES.map((r) => r.route).sort()).toEqual(bodyRoutes);
  });
});
