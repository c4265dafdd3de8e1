import type { DiscoveryService } from '@nestjs/core';

/**
 * The instances of every provider marked with `decorator` (a `DiscoveryService.createDecorator`)
 * that implement `method`: how the task-instance feature finds the hooks other features register
 * (`@TaskStartHook()`, `@TaskSuccessHook()`) without importing them. Call it from `onModuleInit`.
 */
export function markedProviders<T>(discovery: DiscoveryService, decorator: { KEY: string }, method: keyof T & string): T[] {
  return discovery
    .getProviders({ metadataKey: decorator.KEY })
    .map((wrapper) => wrapper.instance as T)
    .filter((instance) => typeof (instance as Record<string, unknown> | undefined)?.[method] === 'function');
}
