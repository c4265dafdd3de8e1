import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { IdempotencyKeyStore } from './idempotency-key.store';

/**
 * Deletes expired keys every `IDEMPOTENCY_PURGE_INTERVAL_SECONDS` in each process. Expiry itself
 * does not depend on it (lookups ignore expired rows); it only keeps the table small. Several
 * processes purging at once skip each other's rows (`SKIP LOCKED`).
 */
@Injectable()
export class IdempotencyKeyPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('IdempotencyKeys');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: IdempotencyKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.idempotency.purgeIntervalSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => this.tick(), seconds * 1000);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.store
      .purgeExpired()
      .then(
        (deleted) => {
          if (deleted > 0) this.logger.log({ msg: 'purged expired idempotency keys', deleted });
        },
        (error: unknown) => this.logger.warn({ msg: 'purging expired idempotency keys failed; retried at the next interval', error: (error as Error)?.name }),
      )
      .finally(() => (this.running = undefined));
  }
}
