import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAPROXY_CONFIG, freePort, startBalancer, type RunningBalancer } from '@micropost/infra';
import { createTestServices, graphql, registerAccount, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '../src/testing.ts';
import { loadSubgraphs } from '../src/app.ts';

/** The directives of deploy/haproxy.cfg, comments dropped. */
const config = readFileSync(HAPROXY_CONFIG, 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter(Boolean);

describe('deploy/haproxy.cfg', () => {
  it('retries only requests that never reached a server, on the other server', () => {
    expect(config.filter((line) => line.startsWith('retry-on'))).toEqual(['retry-on conn-failure']);
    expect(config).toContain('option redispatch');
  });

  it('checks readiness, forwards the client address and limits each address', () => {
    expect(config).toContain('option httpchk GET /ready');
    expect(config).toContain('option forwardfor');
    expect(config.some((line) => line.startsWith('stick-table type ip'))).toBe(true);
    expect(config.some((line) => /^tcp-request connection reject if \{ sc_conn_cur\(0\) gt/.test(line))).toBe(true);
    expect(config.some((line) => /^http-request deny deny_status 429 if \{ sc_http_req_rate\(0\) gt/.test(line))).toBe(
      true,
    );
  });
});

// A server that dies mid-request: "A" hands each mutation to the real server (it runs) and then
// drops the connection without an answer, as a process killed after executing does. HAProxy must
// answer that client with an error and not send the mutation again to B.
describe('a server dying mid-request behind the balancer', () => {
  let services: TestServices;
  let graph: TestGraph;
  let dying: http.Server;
  let balancer: RunningBalancer;

  beforeAll(async () => {
    services = await createTestServices();
    // Every subgraph: the router is ready only when all of them are.
    graph = await startTestGraph(services.env(), await loadSubgraphs());
    dying = http.createServer((request, response) => {
      if (request.url === '/ready' || request.url === '/health') return void response.end('{"status":"ready"}');
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        await fetch(graph.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: String(request.headers.authorization) },
          body: Buffer.concat(chunks),
        });
        request.socket.destroy();
      });
    });
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    balancer = await startBalancer({
      port: await freePort(),
      servers: [`127.0.0.1:${(dying.address() as AddressInfo).port}`, `127.0.0.1:${new URL(graph.url).port}`],
      log: () => {},
    });
  }, 60_000);
  afterAll(async () => {
    await balancer?.stop();
    dying?.close();
    await graph?.stop();
    await services?.dispose();
  });

  it('creates each post once: the client sees the failure, the mutation is not replayed on the other server', async () => {
    const url = `http://127.0.0.1:${balancer.port}/graphql`;
    const author = await registerAccount(graph.url, 'once');
    // Wait until HAProxy sees both servers up (two good checks each).
    await waitFor(async () => (await fetch(url.replace('/graphql', '/ready'))).ok, { message: 'balancer never up' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const status = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${author.token}` },
        body: JSON.stringify({ query: `mutation { createPost(body: "post ${i}") { id } }` }),
      })
        .then((response) => response.status)
        // A connection dropped with the server's: the client sees a failure just as with a 502.
        .catch(() => 0);
      statuses.push(status);
    }
    const posts = await graphql<{ user: { posts: { edges: { node: { body: string } }[] } } }>(
      graph.url,
      `{ user(handle: "once") { posts(first: 50) { edges { node { body } } } } }`,
    );
    const bodies = posts.data!.user.posts.edges.map((edge) => edge.node.body).sort();
    expect(bodies).toEqual(Array.from({ length: 8 }, (_, i) => `post ${i}`).sort());
    // Some went through the dying server (and failed for the client), some through the other.
    expect(statuses.filter((status) => status !== 200).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
  });
});

// A broker or database outage makes every server unready at once: the balancer then serves from
// the servers that are alive instead of refusing everyone.
describe('every server unready behind the balancer', () => {
  const servers: http.Server[] = [];
  let balancer: RunningBalancer;

  /** A server that is alive but not ready, and says which it is on every other path. */
  async function unready(name: string): Promise<string> {
    const server = http.createServer((request, response) => {
      if (request.url === '/ready') return void response.writeHead(503).end('{"status":"not ready"}');
      response.end(JSON.stringify({ served: name }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    balancer = await startBalancer({
      port: await freePort(),
      servers: [await unready('a'), await unready('b')],
      log: () => {},
    });
  });
  afterAll(async () => {
    await balancer?.stop();
    for (const server of servers) server.close();
  });

  it('still answers from a server that is alive', async () => {
    // Over 3 s (HAProxy marks a server down after 2 failed checks 500 ms apart): every request answered.
    const served: string[] = [];
    for (const started = Date.now(); Date.now() - started < 3_000; ) {
      const response = await fetch(`http://127.0.0.1:${balancer.port}/graphql`);
      expect(response.status).toBe(200);
      served.push(((await response.json()) as { served: string }).served);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(served.length).toBeGreaterThan(10);
    expect(served.every((name) => name === 'a' || name === 'b')).toBe(true);
  });
});
