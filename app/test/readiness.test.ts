import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestServices,
  graphql,
  startTcpProxy,
  waitFor,
  type TcpProxy,
  type TestServices,
} from '@micropost/testing';
import { startTestGraph, type TestGraph } from '../src/testing.ts';
import { loadSubgraphs } from '../src/app.ts';

// A server whose database or broker is out of reach says so on /ready (the balancer then drains it)
// and answers requests that need the database with SERVICE_UNAVAILABLE, never a driver message.
let services: TestServices;
let mongoProxy: TcpProxy;
let brokerProxy: TcpProxy;
let graph: TestGraph;
let readyUrl: string;

beforeAll(async () => {
  services = await createTestServices();
  const mongo = new URL(services.mongoUrl);
  const broker = new URL(services.amqpUrl);
  [mongoProxy, brokerProxy] = await Promise.all([
    startTcpProxy(mongo.hostname, Number(mongo.port)),
    startTcpProxy(broker.hostname, Number(broker.port)),
  ]);
  graph = await startTestGraph(
    services.env({
      MONGO_URL: mongoProxy.rewriteUrl(services.mongoUrl),
      AMQP_URL: brokerProxy.rewriteUrl(services.amqpUrl),
    }),
    await loadSubgraphs(),
  );
  readyUrl = new URL('/ready', graph.url).toString();
}, 120_000);
afterAll(async () => {
  mongoProxy?.resume();
  brokerProxy?.resume();
  await graph?.stop();
  await Promise.all([mongoProxy?.close(), brokerProxy?.close()]);
  await services?.dispose();
});

const readyStatus = async () => (await fetch(readyUrl)).status;

it('is ready only while the broker is reachable', async () => {
  expect(await readyStatus()).toBe(200);
  brokerProxy.pause();
  await waitFor(async () => (await readyStatus()) === 503, { message: '/ready stayed 200 without the broker' });
  brokerProxy.resume();
  await waitFor(async () => (await readyStatus()) === 200, {
    timeoutMs: 20_000,
    message: '/ready did not recover with the broker',
  });
});

it('is ready only while the database is reachable, and answers SERVICE_UNAVAILABLE meanwhile', {
  timeout: 60_000,
}, async () => {
  expect(await readyStatus()).toBe(200);
  mongoProxy.pause();
  await waitFor(async () => (await readyStatus()) === 503, { message: '/ready stayed 200 without the database' });
  const started = Date.now();
  const result = await graphql(
    graph.url,
    'mutation { register(handle: "outage", password: "password 123") { token } }',
  );
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
  expect(JSON.stringify(result.errors)).not.toMatch(/Mongo|ECONN|127\.0\.0\.1/);
  mongoProxy.resume();
  await waitFor(async () => (await readyStatus()) === 200, {
    timeoutMs: 30_000,
    message: '/ready did not recover with the database',
  });
  const again = await graphql(graph.url, 'mutation { register(handle: "outage", password: "password 123") { token } }');
  expect(again.errors).toBeUndefined();
});
