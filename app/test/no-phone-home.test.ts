import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestServices, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '../src/testing.ts';
import { loadSubgraphs } from '../src/app.ts';

/** Every host a TCP client socket is opened to in this process. */
const contacted: string[] = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  // Node's own callers pass their normalized arguments as one array: [options, callback].
  const [first, second] = (Array.isArray(args[0]) ? args[0] : args) as [unknown, unknown];
  const target =
    typeof first === 'object' && first !== null
      ? ((first as net.TcpNetConnectOpts).host ?? (first as net.IpcNetConnectOpts).path ?? 'localhost')
      : typeof second === 'string'
        ? second
        : 'localhost';
  contacted.push(String(target));
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

let services: TestServices | undefined;
let graph: TestGraph | undefined;
afterAll(async () => {
  net.Socket.prototype.connect = connect;
  await graph?.stop();
  await services?.dispose();
});

const isLocal = (host: string) => /^(127\.|::1$|\[::1\]$|localhost$|::ffff:127\.)/.test(host) || host.startsWith('/');

describe('a running graph', () => {
  it('contacts nothing beyond loopback (no usage reporting, no cloud metadata probes)', async () => {
    services = await createTestServices();
    graph = await startTestGraph(services.env(), await loadSubgraphs());
    await graphql(graph.url, `mutation { register(handle: "quiet", password: "password 123") { token } }`);
    // Telemetry probes fire asynchronously after start-up: give them a moment to show themselves.
    await sleep(1_500);
    expect(contacted.length).toBeGreaterThan(0);
    expect(contacted.filter((host) => !isLocal(host))).toEqual([]);
  });
});
