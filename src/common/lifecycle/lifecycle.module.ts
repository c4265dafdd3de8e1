import { Global, Module } from '@nestjs/common';
import { ConnectionTracker } from './graceful-shutdown';
import { LifecycleState } from './lifecycle.state';

/** Shutdown state (read by readiness) and the connection tracker used to drain. */
@Global()
@Module({ providers: [LifecycleState, ConnectionTracker], exports: [LifecycleState, ConnectionTracker] })
export class LifecycleModule {}
