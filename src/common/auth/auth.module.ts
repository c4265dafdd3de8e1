import { Global, Logger, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthGuard } from './auth.guard';
import { KeyStore } from './key-store';
import { TokenIssuer } from './token-issuer';
import { TokenVerifier } from './token-verifier';
import { WorkloadExchangeInterceptor } from './workload-exchange.interceptor';

/**
 * Bearer-token authentication for every route: the global `AuthGuard` (secure by default by
 * route prefix) and the workload-exchange interceptor. Keys load once at boot; a key setting
 * that cannot be used stops the start-up with a message naming the variable.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: KeyStore,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const store = await KeyStore.load(config.auth);
        for (const warning of store.warnings) new Logger('Auth').warn(warning);
        return store;
      },
    },
    TokenVerifier,
    TokenIssuer,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: WorkloadExchangeInterceptor },
  ],
  exports: [KeyStore, TokenVerifier, TokenIssuer],
})
export class AuthModule {}
