import type { CommandStartedEvent } from 'mongodb';
import { amqpEnv, logEnv, parseEnv } from '@micropost/config';
import { createEventBus, type EventBus } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { startSubgraph, type RunningService, type SubgraphDefinition } from '@micropost/server';
import { startRouter } from '@micropost/router';
import { subgraphUrlVariable } from '@micropost/router/subgraphs';

export interface GraphOptions {
  /** Sees each subgraph's database commands, by subgraph name. */
  readonly onMongoCommand?: (subgraph: string, event: CommandStartedEvent) => void;
}

export interface RunningGraph extends RunningService {
  readonly subgraphs: Readonly<Record<string, RunningService>>;
}

/** The event bus a server's subgraphs share: RabbitMQ with `AMQP_URL`, otherwise in-process. */
export function eventBusFromEnv(env: Readonly<Record<string, string | undefined>>): Promise<EventBus> {
  const { LOG_LEVEL, AMQP_URL, EVENTS_EXCHANGE, AMQP_PREFETCH } = parseEnv({ ...logEnv, ...amqpEnv }, env);
  return createEventBus({
    url: AMQP_URL,
    exchange: EVENTS_EXCHANGE,
    prefetch: AMQP_PREFETCH,
    logger: createLogger('events', LOG_LEVEL),
  });
}

/**
 * One Micropost server in one process: the given subgraphs on free loopback ports and the router
 * in front of them on `PORT`, sharing one event bus (RabbitMQ with `AMQP_URL`; otherwise an
 * in-process bus, which then carries events between these subgraphs only).
 */
export async function startGraph(
  env: Readonly<Record<string, string | undefined>>,
  definitions: readonly SubgraphDefinition<any, any>[],
  options: GraphOptions = {},
): Promise<RunningGraph> {
  const bus = await eventBusFromEnv(env);
  const started: RunningService[] = [];
  const stop = async () => {
    for (const service of started.reverse().splice(0)) await service.stop();
    await bus.close();
  };
  try {
    for (const definition of definitions) {
      const onMongoCommand =
        options.onMongoCommand && ((event: CommandStartedEvent) => options.onMongoCommand!(definition.name, event));
      // Subgraphs listen on loopback whatever HOST the router gets: only the router is served outside.
      started.push(await startSubgraph(definition, { ...env, HOST: '127.0.0.1', PORT: '0' }, { bus, onMongoCommand }));
    }
    const subgraphs = Object.fromEntries(started.map((service) => [service.name, service]));
    const urls = Object.fromEntries(started.map((service) => [subgraphUrlVariable(service.name), service.url]));
    // Co-located subgraphs are called in-process unless IN_PROCESS_SUBGRAPHS says otherwise.
    const local = started.flatMap((service) => (service.local ? [service.local] : []));
    const router = await startRouter({ ...env, ...urls }, { bus, local });
    started.push(router);
    return { name: 'server', url: router.url, port: router.port, subgraphs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
