import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type Reference } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import type { FieldMergeFunction } from '@apollo/client/cache';
import { isSubscriptionOperation } from '@apollo/client/utilities';
import { createClient, type Client } from 'graphql-ws';
import { describeError } from './errors.ts';
import type { Session } from './session.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** The subscription socket's state, for the header and for refetching what a reconnect missed. */
export class ConnectionStatus {
  state: ConnectionState = 'connecting';
  /** Incremented on every successful reconnect. */
  reconnects = 0;
  private readonly listeners = new Set<() => void>();
  private snapshot = { state: this.state, reconnects: this.reconnects };

  set(state: ConnectionState, reconnected = false): void {
    this.state = state;
    if (reconnected) this.reconnects += 1;
    this.snapshot = { state: this.state, reconnects: this.reconnects };
    for (const listener of this.listeners) listener();
  }
  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  getSnapshot = () => this.snapshot;
}

interface Edge {
  readonly cursor: string;
  readonly node: Reference;
}
interface Connection {
  readonly edges: readonly Edge[];
  readonly pageInfo: unknown;
}

/**
 * Relay connections in the cache: a page with `after` is appended; a first page (initial load,
 * refetch after a reconnect, or a post written live) is merged in front of what is loaded, so older
 * pages stay. Newest first by `createdAt`, one edge per post.
 */
const mergeConnection: FieldMergeFunction<Connection, Connection> = (existing, incoming, { args, readField }) => {
  if (!existing) return incoming;
  const edges = args?.after ? [...existing.edges, ...incoming.edges] : [...incoming.edges, ...existing.edges];
  const seen = new Set<string>();
  const unique = edges.filter((edge) => {
    const id = readField<string>('id', edge.node) ?? '';
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const createdAt = (edge: Edge) => readField<string>('createdAt', edge.node) ?? '';
  unique.sort((a, b) => (createdAt(a) < createdAt(b) ? 1 : createdAt(a) > createdAt(b) ? -1 : 0));
  return { ...existing, edges: unique, pageInfo: args?.after ? incoming.pageInfo : existing.pageInfo };
};

const paginated = { keyArgs: false as const, merge: mergeConnection };

export interface MicropostClient {
  readonly apollo: ApolloClient;
  readonly status: ConnectionStatus;
  readonly dispose: () => void;
}

/** One Apollo Client per session: HTTP for queries and mutations, graphql-ws for subscriptions. */
export function createMicropostClient(session: Session | null, onSessionEnded: () => void): MicropostClient {
  const status = new ConnectionStatus();
  const httpLink = new HttpLink({ uri: '/graphql' });
  const authLink = new SetContextLink((previous) => ({
    headers: { ...previous.headers, ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
  }));
  // An UNAUTHENTICATED answer (a GraphQL error, or HTTP 401 before execution) ends the session.
  const errorLink = new ErrorLink(({ error }) => {
    if (session && describeError(error).signOut) onSessionEnded();
  });

  let ws: Client | undefined;
  let link: ApolloLink = ApolloLink.from([errorLink, authLink, httpLink]);
  if (session) {
    const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    let connectedBefore = false;
    ws = createClient({
      url: `${protocol}//${window.location.host}/graphql`,
      connectionParams: () => ({ authorization: `Bearer ${session.token}` }),
      // Opens with the first subscription (the notifications, as soon as someone is signed in), so a
      // client that is created but never used (React's development double render) opens no socket.
      lazy: true,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      // 4401: the token expired; 4403: it was refused. Anything else (a server restarting, the
      // balancer failing over) is worth retrying.
      shouldRetry: (event) => {
        const code = (event as { code?: number } | null)?.code;
        if (code === 4401 || code === 4403) {
          onSessionEnded();
          return false;
        }
        return true;
      },
      on: {
        connecting: () => status.set(connectedBefore ? 'reconnecting' : 'connecting'),
        connected: () => {
          status.set('live', connectedBefore);
          connectedBefore = true;
        },
        closed: () => status.set(connectedBefore ? 'reconnecting' : 'connecting'),
      },
    });
    link = ApolloLink.split(
      ({ query }) => isSubscriptionOperation(query),
      ApolloLink.from([errorLink, new GraphQLWsLink(ws)]),
      link,
    );
  }

  const apollo = new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        Query: { fields: { homeFeed: paginated, searchPosts: { ...paginated, keyArgs: ['query'] } } },
        User: { fields: { posts: paginated, followers: paginated, following: paginated } },
      },
    }),
  });
  return {
    apollo,
    status,
    dispose: () => {
      void ws?.dispose();
      apollo.stop();
    },
  };
}
