import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCEPT_TOKEN_SCOPES, PUBLIC_ROUTE } from '../../src/common/auth/auth.decorators';
import { routeArea, type RouteArea } from '../../src/common/auth/route-area';
import { TASK_INSTANCE_SOURCE, type TaskInstanceSource } from '../../src/common/auth/task-instance-source';
import type { TokenScope } from '../../src/common/auth/token-claims';
import { IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from '../../src/common/idempotency-keys/idempotency-key.mode';
import { UNIT_OF_WORK_POLICY, type UnitOfWorkPolicy } from '../../src/common/unit-of-work/unit-of-work.policy';

/** One route the application serves, as the router has it, with what each safety rule needs. */
export interface InventoryRoute {
  /** `METHOD /template`, e.g. `PUT /execution/task-instances/:task_instance_id/rtif`. */
  key: string;
  method: string;
  path: string;
  area: RouteArea;
  /** False for routes mounted on Express directly (Swagger UI, the OpenAPI document): no guard runs. */
  nest: boolean;
  isPublic: boolean;
  taskInstanceSource?: TaskInstanceSource;
  acceptedScopes?: TokenScope[];
  unitOfWork?: UnitOfWorkPolicy;
  /** `@IdempotencyKey()`: a handler's own, never a controller's. */
  idempotencyKey?: IdempotencyKeyMode;
  /** The route reads a request body (POST, PUT, PATCH). */
  takesBody: boolean;
  /** The controller class that serves it (Nest routes only). */
  controller?: object;
}

const normalize = (path: string) => `/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

/**
 * Every route of a started application, generated from the Express router (what is really
 * mounted) and joined with the Nest handler and controller metadata of each (what the guard and
 * the unit-of-work interceptor read). Express routes no Nest handler explains are listed with
 * `nest: false`.
 */
export function routeInventory(app: INestApplication): InventoryRoute[] {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const handlers = new Map<string, { handler: () => unknown; controller: object }>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const controller = wrapper.metatype as object | null;
    if (!controller || !wrapper.instance) continue;
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, () => unknown>;
    const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (paths === undefined || method === undefined) continue;
      for (const prefix of prefixes) {
        for (const path of [paths].flat()) handlers.set(`${RequestMethod[method]} ${normalize(`${prefix}/${path}`)}`, { handler, controller });
      }
    }
  }

  const express = app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string | string[]; methods: Record<string, boolean> } }[] } };
  const routes: InventoryRoute[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    // Catch-all layers (`/{*path}`) are middleware Nest mounts for every path (request logging,
    // the 404 handler), not routes: a route of a module always has a template of its own.
    for (const path of [layer.route.path].flat().filter((p) => !p.includes('{*'))) {
      for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== '_all')) {
        const upper = method.toUpperCase();
        const key = `${upper} ${normalize(path)}`;
        const found = handlers.get(key);
        const targets = found ? [found.handler, found.controller] : [];
        const meta = <T>(name: string) => (found ? reflector.getAllAndOverride<T | undefined>(name, targets as never[]) : undefined);
        routes.push({
          key,
          method: upper,
          path: normalize(path),
          area: routeArea(path),
          nest: found !== undefined,
          isPublic: meta<boolean>(PUBLIC_ROUTE) === true,
          taskInstanceSource: meta<TaskInstanceSource>(TASK_INSTANCE_SOURCE),
          acceptedScopes: meta<TokenScope[]>(ACCEPT_TOKEN_SCOPES),
          unitOfWork: meta<UnitOfWorkPolicy>(UNIT_OF_WORK_POLICY),
          idempotencyKey: found ? reflector.get<IdempotencyKeyMode | undefined>(IDEMPOTENCY_KEY_MODE, found.handler as never) : undefined,
          takesBody: ['POST', 'PUT', 'PATCH'].includes(upper),
          controller: found?.controller,
        });
      }
    }
  }
  return routes;
}

/** The auth rule of a route, in words (for the inventory and its failure messages). */
export function authRule(route: InventoryRoute): string {
  if (!route.nest) return route.area === 'public' ? 'public (mounted on Express, no guard)' : 'UNGUARDED (mounted on Express under a protected prefix)';
  if (route.isPublic || route.area === 'public') return 'public';
  if (route.area === 'admin') return 'admin token';
  const source = route.taskInstanceSource;
  if (!source) return 'no task-instance token (declares no @TaskInstanceFrom: closed)';
  const scopes = (route.acceptedScopes ?? ['execution']).join('|');
  return 'param' in source
    ? `${scopes} token of the task instance in :${source.param}`
    : `${scopes} token of the task instance ${source.resolver.name} resolves`;
}
