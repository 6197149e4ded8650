import type { CommandStartedEvent } from 'mongodb';
import { startRouter } from '@micropost/router';
import { subgraphUrlVariable } from '@micropost/router/subgraphs';
import { startSubgraph, type RunningService, type SubgraphDefinition } from '@micropost/server';

/** Anything `startSubgraph` accepts; the graph only needs the name. */
type AnySubgraph = SubgraphDefinition<any, any>;

export interface TestGraph {
  /** The router's /graphql endpoint: where tests talk to the graph, as clients do. */
  readonly url: string;
  readonly subgraphs: Readonly<Record<string, RunningService>>;
  /** Runs `action` and returns the read commands (find, aggregate, count…) each subgraph sent meanwhile. */
  readsDuring<T>(action: () => Promise<T>): Promise<{ result: T; reads: Record<string, CommandStartedEvent[]> }>;
  stop(): Promise<void>;
}

/** Commands that read documents; writes and the outbox relay's claims (findAndModify) are not counted. */
const READ_COMMANDS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore']);

/** Starts the given subgraphs and a router in front of them, each on a free loopback port. */
export async function startTestGraph(env: Record<string, string>, definitions: readonly AnySubgraph[]): Promise<TestGraph> {
  const started: RunningService[] = [];
  const stop = async () => {
    for (const service of started.reverse().splice(0)) await service.stop();
  };
  let recording: Record<string, CommandStartedEvent[]> | null = null;
  const record = (subgraph: string) => (event: CommandStartedEvent) => {
    if (recording && READ_COMMANDS.has(event.commandName)) (recording[subgraph] ??= []).push(event);
  };
  const readsDuring = async <T>(action: () => Promise<T>) => {
    recording = {};
    try {
      return { result: await action(), reads: recording };
    } finally {
      recording = null;
    }
  };
  try {
    for (const definition of definitions) {
      started.push(await startSubgraph(definition, { ...env, PORT: '0' }, { onMongoCommand: record(definition.name) }));
    }
    const subgraphUrls = Object.fromEntries(started.map((service) => [subgraphUrlVariable(service.name), service.url]));
    const router = await startRouter({ ...env, ...subgraphUrls, PORT: '0' });
    const subgraphs = Object.fromEntries(started.map((service) => [service.name, service]));
    started.push(router);
    return { url: router.url, subgraphs, readsDuring, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
