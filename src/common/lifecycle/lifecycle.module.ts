import { Global, Module } from '@nestjs/common';
import { InFlightRequests } from './graceful-shutdown';
import { LifecycleState } from './lifecycle.state';

/** Shutdown state (read by readiness) and the in-flight request counter. */
@Global()
@Module({ providers: [LifecycleState, InFlightRequests], exports: [LifecycleState, InFlightRequests] })
export class LifecycleModule {}
