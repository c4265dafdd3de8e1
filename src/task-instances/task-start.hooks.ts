import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { markedProviders } from './marked-providers';

// A declared extension point of the task-instance feature: a feature that joins `PATCH …/run`
// imports this file (a top-level file of src/task-instances/, its public surface) and lists
// 'task-instances' in its manifest's `dependsOn`.

/** The task instance whose try is starting (`PATCH …/run`), as a hook sees it. */
export interface StartingTaskInstance {
  id: string;
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  /** True when the try resumes after deferral (Airflow then clears nothing). */
  resuming: boolean;
}

/** What hooks add to the run context `PATCH …/run` answers. */
export interface TaskStartContribution {
  /** Airflow's `xcom_keys_to_clear`: keys the task instance already holds; the worker deletes them. */
  xcomKeysToClear?: string[];
}

/**
 * A feature module's part of `PATCH …/run`: called inside that route's unit of work (its `em`),
 * after the transition, for the run context's answer. Mark the provider with `@TaskStartHook()`.
 */
export interface TaskStartHookHandler {
  onTaskStart(em: EntityManager, ti: StartingTaskInstance): Promise<TaskStartContribution>;
}

/**
 * Marks a provider as a `TaskStartHookHandler`. The task-instance module finds every marked
 * provider through Nest's discovery, so it imports nothing from the modules that hook in, and they
 * import nothing from it.
 */
export const TaskStartHook = DiscoveryService.createDecorator<Record<string, never>>();

/** Calls every `@TaskStartHook()` provider and merges what they contribute. */
@Injectable()
export class TaskStartHooks implements OnModuleInit {
  private handlers: TaskStartHookHandler[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.handlers = markedProviders<TaskStartHookHandler>(this.discovery, TaskStartHook, 'onTaskStart');
  }

  async contribute(em: EntityManager, ti: StartingTaskInstance): Promise<Required<TaskStartContribution>> {
    const merged: Required<TaskStartContribution> = { xcomKeysToClear: [] };
    // One after the other: they share the unit of work's connection.
    for (const handler of this.handlers) {
      const part = await handler.onTaskStart(em, ti);
      merged.xcomKeysToClear.push(...(part.xcomKeysToClear ?? []));
    }
    return merged;
  }
}
