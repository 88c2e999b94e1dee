import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { JwksController } from './jwks.controller.js';
import { KEYS_COMMAND, SigningKeysService } from './signing-keys.service.js';

@Module({
  imports: [AuditModule, TypeOrmModule.forFeature([SigningKey])],
  controllers: [JwksController],
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {
  /** For the keys command: the keys without their schedule (see KEYS_COMMAND). */
  static forCommand(): DynamicModule {
    return {
      module: SigningKeysModule,
      providers: [SigningKeysService, { provide: KEYS_COMMAND, useValue: true }],
    };
  }
}
