import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFerretDB, startRabbitNode, type RunningFerretDB, type RunningRabbitNode } from '@micropost/infra';
import type { MicropostServices } from './provided.ts';

export type { MicropostServices };

const set = (name: string) => (process.env[name] ?? '').trim() !== '';

/**
 * vitest globalSetup: one FerretDB and one private RabbitMQ node for the whole run (test files
 * isolate themselves by database prefix and vhost), unless the environment points at existing ones.
 */
export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'micropost-test-'));
  const log = (line: string) => process.stderr.write(`[test services] ${line}\n`);
  const started: { stop(): Promise<void> }[] = [];
  const teardown = async () => {
    await Promise.allSettled(started.map((service) => service.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const t0 = Date.now();
    // Started side by side: RabbitMQ needs several seconds, FerretDB about one.
    const [ferret, rabbit] = await Promise.all([
      set('MONGO_URL')
        ? undefined
        : startFerretDB({ dataDir: join(dir, 'ferretdb'), log }).then(track<RunningFerretDB>(started)),
      set('AMQP_URL') && set('RABBITMQ_MANAGEMENT_URL')
        ? undefined
        : startRabbitNode({ dir: join(dir, 'rabbitmq'), nodeName: `micropost_test_${process.pid}`, log }).then(
            track<RunningRabbitNode>(started),
          ),
    ]);
    // For scan checks (@micropost/testing seqScansDuring): the embedded FerretDB's PostgreSQL.
    const postgresUrl = ferret?.postgresUrl ?? (set('POSTGRES_URL') ? process.env.POSTGRES_URL : undefined);
    provide('micropostServices', {
      mongoUrl: ferret?.url ?? process.env.MONGO_URL!,
      ...(postgresUrl === undefined ? {} : { postgresUrl }),
      amqpUrl: rabbit?.amqpUrl ?? process.env.AMQP_URL!,
      managementUrl: rabbit?.managementUrl ?? process.env.RABBITMQ_MANAGEMENT_URL!,
    });
    log(`ready in ${Date.now() - t0} ms`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Registers a started service for teardown as soon as it is up, even if its sibling fails. */
function track<T extends { stop(): Promise<void> }>(started: { stop(): Promise<void> }[]) {
  return (service: T): T => {
    started.push(service);
    return service;
  };
}
