import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { createTestServices, errorCodes, graphql, waitFor, type TestServices } from '@micropost/testing';
import { loadSubgraphs } from '@micropost/app';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';

// The operation limits over HTTP and over graphql-ws, the socket limits, the request deadline,
// the body limit and error masking, on one server. Posts are served by a port that accepts and
// never answers (the deadline), follows by a port where nothing listens (an internal error).
let services: TestServices;
let graph: TestGraph;
let silent: net.Server;
const held: net.Socket[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  services = await createTestServices();
  silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as net.AddressInfo).port;
  graph = await startTestGraph(
    services.env({
      POSTS_SUBGRAPH_URL: `http://127.0.0.1:${silentPort}/graphql`,
      FOLLOWS_SUBGRAPH_URL: 'http://127.0.0.1:1/graphql',
      REQUEST_TIMEOUT_MS: '1500',
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
      WS_CONNECTION_INIT_TIMEOUT_MS: '300',
    }),
    await loadSubgraphs(['users']),
  );
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await graph?.stop();
  for (const socket of held) socket.destroy();
  silent?.close();
  await services?.dispose();
});

const wsUrl = () => graph.url.replace(/^http/, 'ws');

/** The abuse of the issue, as operations; `kind` is query or subscription. */
function deep(kind: 'query' | 'subscription'): string {
  let selection = '{ id }';
  for (let i = 0; i < 6; i++) selection = `{ author { posts(first: 1) { edges { node ${selection} } } } }`;
  return kind === 'query' ? `{ post(id: "1") ${selection} }` : `subscription { postCreated ${selection} }`;
}
const aliased = (kind: 'query' | 'subscription', n: number) =>
  kind === 'query'
    ? `{ ${Array.from({ length: n }, (_, i) => `a${i}: searchUsers(query: "x") { edges { cursor } }`).join(' ')} }`
    : `subscription { postCreated { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } }`;
const expensive = (kind: 'query' | 'subscription') =>
  kind === 'query'
    ? `{ me { followers(first: 100) { edges { node { followers(first: 100) { edges { node { handle } } } } } } } }`
    : `subscription { postCreated { author { followers(first: 100) { edges { node { followers(first: 100) { edges { node { handle } } } } } } } } }`;
const ABUSE = {
  depth: { build: deep, message: /depth limit of 10 exceeded/ },
  aliases: { build: (kind: 'query' | 'subscription') => aliased(kind, 40), message: /Aliases limit of 30 exceeded/ },
  tokens: { build: (kind: 'query' | 'subscription') => aliased(kind, 500), message: /more that 1000 tokens/ },
  cost: { build: expensive, message: /too expensive/ },
};

/** The errors graphql-ws answers one subscribe with (none: it was accepted). */
async function subscribeErrors(query: string): Promise<readonly { message: string; extensions?: any }[]> {
  const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, retryAttempts: 0, onNonLazyError: () => {} });
  clients.push(client);
  return new Promise((resolve) => {
    client.subscribe(
      { query },
      {
        next: () => resolve([]),
        error: (errors) => resolve(Array.isArray(errors) ? errors : [{ message: String(errors) }]),
        complete: () => resolve([]),
      },
    );
    // An accepted subscription that has delivered nothing yet is accepted all the same.
    setTimeout(() => resolve([]), 1000);
  });
}

describe('operation limits', () => {
  for (const [name, { build, message }] of Object.entries(ABUSE)) {
    it(`refuses ${name} over HTTP with 400 and BAD_USER_INPUT, and keeps serving`, async () => {
      const response = await graphql(graph.url, build('query'));
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toContain('BAD_USER_INPUT');
      expect(response.errors?.map((e) => e.message).join()).toMatch(message);
      expect((await graphql(graph.url, '{ me { id } }')).status).toBe(200);
    });

    it(`refuses ${name} on a graphql-ws subscribe`, async () => {
      const errors = await subscribeErrors(build('subscription'));
      expect(errors.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
      expect(errors.map((e) => e.message).join()).toMatch(message);
    });
  }

  it('accepts an ordinary subscription', async () => {
    expect(await subscribeErrors(`subscription { postCreated { id body author { handle } } }`)).toEqual([]);
  });
});

describe('socket limits', () => {
  it('caps the subscriptions of one socket, and frees a place when one completes', async () => {
    const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, retryAttempts: 0, onNonLazyError: () => {} });
    clients.push(client);
    const failures: unknown[] = [];
    const subscribe = () =>
      client.subscribe(
        { query: `subscription { postCreated { id } }` },
        { next: () => {}, error: (error) => void failures.push(error), complete: () => {} },
      );
    const first = subscribe();
    subscribe();
    subscribe();
    subscribe();
    await waitFor(async () => failures.length === 1, { message: 'the fourth subscription was not refused' });
    expect((failures[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('RATE_LIMITED');
    first();
    subscribe();
    // The socket survives a refusal, and the freed place is taken.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures).toHaveLength(1);
  });

  it('closes a socket whose message is larger than WS_MAX_PAYLOAD_BYTES (1009)', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { filler: 'x'.repeat(70 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('closes a socket that never sends connection_init (4408)', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(4408);
  });
});

describe('HTTP limits', () => {
  it('answers a request that runs past REQUEST_TIMEOUT_MS with 503 REQUEST_TIMEOUT, and keeps serving', async () => {
    const started = Date.now();
    const response = await graphql(graph.url, `{ post(id: "000000000000000000000000") { id } }`);
    expect(response.status).toBe(503);
    expect(errorCodes(response)).toEqual(['REQUEST_TIMEOUT']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await graphql(graph.url, '{ me { id } }')).status).toBe(200);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const response = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }', variables: { filler: 'x'.repeat(1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
  });

  // This graph has no follows subgraph: the gateway cannot reach it.
  it('answers for a subgraph it cannot reach with SERVICE_UNAVAILABLE: no address, driver or stack', async () => {
    const { registerAccount } = await import('@micropost/testing');
    const account = await registerAccount(graph.url, 'masked');
    const response = await graphql(graph.url, `{ me { followerCount } }`, { token: account.token });
    const text = JSON.stringify(response.errors);
    expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.errors?.[0]?.message).toMatch(/temporarily unavailable/);
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|stack|at /);
  });
});
