import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { createTestServices, graphql, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '../src/testing.ts';
import { loadSubgraphs } from '../src/app.ts';

// The subscription endpoint's own rules, on one server: tokens that expire, origins, cleanup.
const TOKEN_TTL_SECONDS = 2;
let services: TestServices;
let graph: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(
    services.env({ TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS), ALLOWED_ORIGINS: 'http://app.example' }),
    await loadSubgraphs(),
  );
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

const wsUrl = () => graph.url.replace(/^http/, 'ws');
const liveSubscriptions = async () =>
  ((await (await fetch(graph.url.replace('/graphql', '/health'))).json()) as { liveSubscriptions: number })
    .liveSubscriptions;

describe('the subscription socket', () => {
  it('closes a connection with 4401 when its token expires', async () => {
    const { token } = (
      await graphql(graph.url, `mutation { register(handle: "shortlived", password: "password 123") { token } }`)
    ).data!.register;
    const closed: number[] = [];
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { closed: (event) => void closed.push((event as { code: number }).code) },
      onNonLazyError: () => {},
    });
    client.subscribe(
      { query: `subscription { feedUpdated { kind } }` },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    await waitFor(async () => (await liveSubscriptions()) === 1, { message: 'the subscription never opened' });
    await waitFor(async () => closed.length > 0, {
      timeoutMs: (TOKEN_TTL_SECONDS + 5) * 1000,
      message: 'the connection outlived its token',
    });
    expect(closed[0]).toBe(4401);
    // And the closed socket released its subscription.
    await waitFor(async () => (await liveSubscriptions()) === 0, {
      message: 'the closed socket still holds its subscription',
    });
    await client.dispose();
  });

  it('refuses a browser origin that is not allowed, and accepts an allowed one', async () => {
    const handshake = (origin: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(wsUrl(), 'graphql-transport-ws', { origin });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.once('error', () => {});
      });
    expect(await handshake('https://evil.example')).toBe(403);
    expect(await handshake('http://app.example')).toBe(101);
  });

  it('frees a subscription when the client completes it', async () => {
    const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, retryAttempts: 0, onNonLazyError: () => {} });
    const unsubscribe = client.subscribe(
      { query: `subscription { postCreated { id } }` },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    await waitFor(async () => (await liveSubscriptions()) === 1, { message: 'the subscription never opened' });
    unsubscribe();
    await waitFor(async () => (await liveSubscriptions()) === 0, { message: 'a completed subscription was kept' });
    await client.dispose();
  });
});
