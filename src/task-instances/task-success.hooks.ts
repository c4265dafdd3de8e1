import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { markedProviders } from './marked-providers';
import type { JsonObject } from '../common/json/json-value';

// A declared extension point of the task-instance feature, like task-start.hooks.ts.

/** The try that is succeeding (`PATCH …/state` with `state: success`), as a hook sees it. */
export interface SucceedingTaskInstance {
  id: string;
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  /** Airflow's `task_outlets` (`AssetProfile`s), as sent. */
  taskOutlets: JsonObject[];
  /** Airflow's `outlet_events`, as sent. */
  outletEvents: JsonObject[];
}

/**
 * A feature module's part of a success: called inside `PATCH …/state`'s unit of work (its `em`),
 * after the 404/200/409 checks and **before** the transition is written, so a hook that refuses the
 * payload (a `DomainError`) leaves nothing written. Mark the provider with `@TaskSuccessHook()`.
 * Not called for a repeat of a success (the 200-empty path).
 */
export interface TaskSuccessHookHandler {
  onTaskSuccess(em: EntityManager, ti: SucceedingTaskInstance): Promise<void>;
}

/** Marks a provider as a `TaskSuccessHookHandler`, found through Nest's discovery like `@TaskStartHook()`. */
export const TaskSuccessHook = DiscoveryService.createDecorator<Record<string, never>>();

/** Calls every `@TaskSuccessHook()` provider, one after the other (they share the unit of work's connection). */
@Injectable()
export class TaskSuccessHooks implements OnModuleInit {
  private handlers: TaskSuccessHookHandler[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.handlers = markedProviders<TaskSuccessHookHandler>(this.discovery, TaskSuccessHook, 'onTaskSuccess');
  }

  async run(em: EntityManager, ti: SucceedingTaskInstance): Promise<void> {
    for (const handler of this.handlers) await handler.onTaskSuccess(em, ti);
  }
}
