import type { ApolloServerPlugin } from '@apollo/server';
import { IdentityVerifier } from '@micropost/auth';
import { createLogger } from '@micropost/logger';
import { serveSubgraph, type RequestContext } from '@micropost/server';
import type { MockSubgraph } from './mock-subgraphs.ts';

/** A fetch a gateway sent to a subgraph, as the isolation scenario replays it directly. */
export interface RecordedFetch {
  subgraph: string;
  at: number;
  body: { query: string; variables?: Record<string, unknown>; operationName?: string };
}

/** Header of the bench's own control requests: `start` clears and records, `stop` answers with the record. */
export const RECORDING_HEADER = 'x-bench-recording';

/** Records the operations a subgraph receives between a `start` and a `stop` control request. */
function recorder(subgraph: string): ApolloServerPlugin<RequestContext> {
  let recorded: RecordedFetch[] | null = null;
  return {
    async requestDidStart({ request }) {
      const control = request.http?.headers.get(RECORDING_HEADER);
      if (control === 'start') recorded = [];
      else if (!control && recorded && request.query)
        recorded.push({
          subgraph,
          at: performance.timeOrigin + performance.now(),
          body: { query: request.query, variables: request.variables ?? {}, operationName: request.operationName! },
        });
      if (control !== 'stop') return {};
      const result = recorded ?? [];
      recorded = null;
      return {
        async willSendResponse({ response }) {
          if (response.body.kind === 'single') response.body.singleResult.extensions = { recorded: result };
        },
      };
    },
  };
}

/** Serves one mock subgraph the way every Micropost subgraph is served (`serveSubgraph`). */
export function serveMock(mock: MockSubgraph, env: NodeJS.ProcessEnv, port: number, record: boolean) {
  const logger = createLogger(mock.name, (env.LOG_LEVEL as 'warn') ?? 'warn');
  return serveSubgraph<RequestContext>({
    name: mock.name,
    typeDefs: mock.typeDefs,
    resolvers: mock.resolvers,
    createContext: mock.createContext,
    identities: new IdentityVerifier(env.INTERNAL_PUBLIC_KEY!),
    logger,
    ready: async () => true,
    port,
    host: '127.0.0.1',
    ...(record ? { plugins: [recorder(mock.name)] } : {}),
  });
}
