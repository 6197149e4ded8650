import { InProcessEventBus } from '../src/index.ts';
import { eventBusContract } from './event-bus.contract.ts';
import { captureLogger } from './helpers.ts';

eventBusContract('InProcessEventBus', async () => {
  // One process holds one bus: every "server" of the contract shares it.
  const bus = new InProcessEventBus({ logger: captureLogger().logger, retryBaseMs: 5 });
  return {
    createBus: async () => bus,
    deadLetters: async (queue) => bus.deadLetters(queue).map((letter) => letter.body.toString()),
    publishRaw: async (routingKey, body) => bus.publishRaw(routingKey, body),
    dispose: () => bus.close(),
  };
});
