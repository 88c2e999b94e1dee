/**
 * The yardstick: the smallest NestJS 12 app on Fastify, one GET route answering a small JSON object,
 * in production mode. The benchmark builds and starts it beside the service, with the same Node and
 * the same framework and adapter packages, and states every throughput as a share of its req/s.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class MinimalController {
  @Get()
  hello(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [MinimalController] })
class MinimalModule {}

const app = await NestFactory.create<NestFastifyApplication>(MinimalModule, new FastifyAdapter(), { logger: ['error'] });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
