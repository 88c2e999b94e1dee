import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { ResourceServerOptions } from './resource-server.options.js';

/** Builds the service (not yet listening): `main.ts` and the e2e test both start it from here. */
export async function createResourceServer(options: ResourceServerOptions): Promise<NestFastifyApplication> {
  return NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), new FastifyAdapter(), {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
}
