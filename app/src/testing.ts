import type { CommandStartedEvent } from 'mongodb';
import { startGraph } from './graph.ts';
import type { RunningService, SubgraphDefinition } from '@micropost/server';

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
export async function startTestGraph(
  env: Record<string, string>,
  definitions: readonly SubgraphDefinition<any, any>[],
): Promise<TestGraph> {
  let recording: Record<string, CommandStartedEvent[]> | null = null;
  const graph = await startGraph({ ...env, PORT: '0' }, definitions, {
    onMongoCommand: (subgraph, event) => {
      if (recording && READ_COMMANDS.has(event.commandName)) (recording[subgraph] ??= []).push(event);
    },
  });
  return {
    url: graph.url,
    subgraphs: graph.subgraphs,
    stop: graph.stop,
    readsDuring: async (action) => {
      recording = {};
      try {
        return { result: await action(), reads: recording };
      } finally {
        recording = null;
      }
    },
  };
}
