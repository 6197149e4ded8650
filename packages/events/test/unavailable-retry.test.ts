import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestServices, waitFor, type TestServices } from '@micropost/testing';
import { createEvent, isUnavailableError, RabbitEventBus } from '../src/index.ts';
import { captureLogger, uniqueName } from './helpers.ts';

// A projection whose database is down for a while must not dead-letter the events it is handed:
// they wait and are handled once the database is back.
let services: TestServices;
let bus: RabbitEventBus;
beforeAll(async () => {
  services = await createTestServices();
  bus = await RabbitEventBus.connect({
    url: services.amqpUrl,
    exchange: 'unavailable.events',
    prefetch: 4,
    logger: captureLogger().logger,
    retryBaseMs: 5,
    maxDeliveries: 2,
  });
});
afterAll(async () => {
  await bus?.close();
  await services?.dispose();
});

class MongoServerSelectionError extends Error {
  override name = 'MongoServerSelectionError';
}

it('classifies unreachable-database errors, and only those', () => {
  expect(isUnavailableError(new MongoServerSelectionError('Server selection timed out'))).toBe(true);
  expect(
    isUnavailableError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })),
  ).toBe(true);
  expect(isUnavailableError(new Error('E11000 duplicate key'))).toBe(false);
  expect(isUnavailableError('not an error')).toBe(false);
});

it('retries a handler in place while its database is unreachable, past the delivery limit', async () => {
  const queue = uniqueName('projection');
  let attempts = 0;
  const handled: string[] = [];
  await bus.consume({ queue, kind: 'shared', bindings: ['user.registered'] }, async (event) => {
    attempts++;
    if (attempts <= 6) throw new MongoServerSelectionError('connect ECONNREFUSED');
    handled.push(event.id);
  });
  const event = createEvent('user.registered', {
    userId: 'u1',
    handle: 'outage',
    displayName: 'Outage',
    createdAt: new Date().toISOString(),
  });
  await bus.publish(event);
  await waitFor(async () => handled.length === 1, { message: 'the event was never handled' });
  expect(handled).toEqual([event.id]);
  expect(await services.rabbit.getMessages(services.vhost, `${queue}.dlq`, 10).catch(() => [])).toEqual([]);
});
