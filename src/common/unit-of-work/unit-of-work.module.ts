import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { IdempotencyKeyPurger } from '../idempotency-keys/idempotency-key.purger';
import { IdempotencyKeyStore } from '../idempotency-keys/idempotency-key.store';
import { IdempotencyKeys } from '../idempotency-keys/idempotency-keys';
import { RetryBudget } from './retry-budget';
import { UnitOfWorkInterceptor } from './unit-of-work.interceptor';
import { UnitOfWorkRunner } from './unit-of-work.runner';
import { UnitOfWorkStats } from './unit-of-work.stats';
import { ReplicaMonitor } from './replica-monitor';

/** Global so that `@UnitOfWork()` works in any feature module without importing anything. */
@Global()
@Module({
  providers: [
    {
      provide: RetryBudget,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new RetryBudget(config.retry.budgetCapacity, config.retry.budgetRefillPerSecond),
    },
    UnitOfWorkStats,
    ReplicaMonitor,
    UnitOfWorkRunner,
    UnitOfWorkInterceptor,
    IdempotencyKeyStore,
    IdempotencyKeys,
    IdempotencyKeyPurger,
  ],
  exports: [RetryBudget, UnitOfWorkStats, ReplicaMonitor, UnitOfWorkRunner, UnitOfWorkInterceptor, IdempotencyKeyStore, IdempotencyKeys],
})
export class UnitOfWorkModule {}
