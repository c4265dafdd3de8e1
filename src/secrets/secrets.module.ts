import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SecretCipher } from './secret-cipher';
import { SECRETS_SETTINGS } from './secrets.settings';

/** The Fernet cipher of FERNET_KEY, for the modules that store secrets (variables, connections). */
@Module({
  providers: [SecretCipher, { provide: SECRETS_SETTINGS.token, useFactory: (config: AppConfig) => SECRETS_SETTINGS.of(config), inject: [APP_CONFIG] }],
  exports: [SecretCipher],
})
export class SecretsModule {}
