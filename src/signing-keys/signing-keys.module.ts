import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { JwksController } from './jwks.controller.js';
import { SigningKeysService } from './signing-keys.service.js';

@Module({
  imports: [AuditModule, TypeOrmModule.forFeature([SigningKey])],
  controllers: [JwksController],
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}
