import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestServices, type TestServices } from '@micropost/testing';
import { PROFILES } from '../src/config.ts';
import { runBench } from '../src/run.ts';

// `npm run bench` itself is not part of `npm test`; this runs every scenario of it with tiny numbers
// (the smoke profile) against the run's FerretDB and RabbitMQ, so the bench cannot rot.
let services: TestServices;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(async () => {
  await services?.dispose();
});

it('runs every scenario of the bench on a tiny data set', { timeout: 600_000 }, async () => {
  const result = await runBench({
    config: PROFILES.smoke,
    external: {
      mongoUrl: services.mongoUrl,
      amqpUrl: services.amqpUrl,
      managementUrl: inject('micropostServices').managementUrl,
      vhost: services.vhost,
      dbPrefix: services.dbPrefix,
    },
  });
  expect(result.failures).toEqual({});
  expect(result.seed!.timelineEntries).toBeGreaterThan(0);
  for (const run of result.feedRead!.runs) {
    expect(run.requests).toBeGreaterThan(0);
    expect(run.errors).toBe(0);
  }
  expect(result.feedRead!.firstPageSize).toBeGreaterThan(0);
  expect(result.gateways!.identicalResponses).toBe(true);
  for (const gateway of result.gateways!.gateways) expect(gateway.errors).toBe(0);
  expect(result.write!.createPost.errors).toBe(0);
  for (const run of result.write!.fanOut) expect(run.completeMs).not.toBeNull();
  for (const run of result.live!) expect(run.lost).toBe(0);
  expect(result.search!.posts.errors + result.search!.users.errors).toBe(0);
  expect(result.resume!.wrong).toBe(0);
  expect(result.resume!.liveLost).toBe(0);
  expect(result.router!.identicalResponses).toBe(true);
  for (const level of result.router!.load)
    for (const gateway of level.gateways) {
      expect(gateway.errors).toBe(0);
      expect(gateway.requestsPerSecond).toBeGreaterThan(0);
    }
  for (const overhead of result.router!.overhead) expect(overhead.fetches.length).toBeGreaterThan(1);
});
