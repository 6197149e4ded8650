import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MongoClient } from 'mongodb';
import { createTestServices, errorCodes, graphql, registerAccount, type TestServices } from '@micropost/testing';
import { loadSubgraphs } from '@micropost/app';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { parseEnv } from '@micropost/config';
import { createLogger } from '@micropost/logger';
import { RATE_LIMIT_COLLECTION, RateLimits, rateLimitsEnv } from '../src/limits/rate-limits.ts';

// Two servers (A and B) on one database, as behind the balancer: every allowance is shared, so a
// client gets no more by alternating. The tests come from 127.0.0.1, which A and B trust as their
// balancer (TRUSTED_PROXIES' default), so X-Forwarded-For names the client; C trusts no one here.
const LIMITS = {
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '4',
  RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: '6',
  RATE_LIMIT_REGISTRATIONS_PER_HOUR: '5',
  RATE_LIMIT_WRITES_PER_MINUTE: '5',
  RATE_LIMIT_REQUESTS_PER_MINUTE: '30',
  RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE: '3',
};
let services: TestServices;
let a: TestGraph;
let b: TestGraph;
let c: TestGraph;
let mongo: MongoClient;

beforeAll(async () => {
  services = await createTestServices();
  a = await startTestGraph(services.env(LIMITS), await loadSubgraphs(['users']));
  b = await startTestGraph(services.env(LIMITS), await loadSubgraphs(['users']));
  c = await startTestGraph(
    services.env({ ...LIMITS, TRUSTED_PROXIES: '10.255.255.255', MONGO_DB_PREFIX: `${services.dbPrefix}c_` }),
    await loadSubgraphs(['users']),
  );
  mongo = await MongoClient.connect(services.mongoUrl);
});
afterAll(async () => {
  await mongo?.close();
  for (const graph of [a, b, c]) await graph?.stop();
  await services?.dispose();
});

let nextAddress = 0;
/** A fresh client address for each use, so tests do not share an allowance unless they mean to. */
const address = () => `198.51.100.${++nextAddress}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

const login = (graph: TestGraph, handle: string, password: string, ip = address()) =>
  graphql(graph.url, `mutation($h: String!, $p: String!) { login(handle: $h, password: $p) { token } }`, {
    variables: { h: handle, p: password },
    headers: from(ip),
  });

describe('shared rate limits', () => {
  it('refuses logins to an account after its failures, on both servers, with 429 and Retry-After', async () => {
    await registerAccount(a.url, 'victim');
    // Four wrong passwords, alternating servers and addresses: the account's allowance alone is spent.
    for (let i = 0; i < 4; i++) {
      const response = await login(i % 2 ? b : a, 'victim', 'wrong password');
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    }
    for (const graph of [a, b]) {
      const refused = await login(graph, 'VICTIM', 'correct horse battery');
      expect(refused.status).toBe(429);
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
      const retryAfter = refused.errors![0]!.extensions!.retryAfterSeconds as number;
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    }
    const raw = await fetch(b.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from(address()) },
      body: JSON.stringify({ query: 'mutation { login(handle: "victim", password: "x") { token } }' }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account is not affected; the counters live in the shared database.
    await registerAccount(b.url, 'bystander');
    expect((await login(a, 'bystander', 'correct horse battery')).errors).toBeUndefined();
    expect(
      await mongo.db(`${services.dbPrefix}router`).collection(RATE_LIMIT_COLLECTION).countDocuments(),
    ).toBeGreaterThan(0);
  });

  it('refuses an address that fails logins across many accounts', async () => {
    const ip = address();
    for (let i = 0; i < 6; i++)
      expect(errorCodes(await login(i % 2 ? a : b, `nobody${i}`, 'wrong password', ip))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await login(a, 'nobody_else', 'wrong password', ip))).toEqual(['RATE_LIMITED']);
    expect(errorCodes(await login(b, 'nobody_else', 'wrong password'))).toEqual(['UNAUTHENTICATED']);
  });

  it('a successful login clears the account failures', async () => {
    await registerAccount(a.url, 'forgetful');
    for (let i = 0; i < 3; i++) await login(a, 'forgetful', 'wrong password');
    expect((await login(b, 'forgetful', 'correct horse battery')).errors).toBeUndefined();
    for (let i = 0; i < 3; i++)
      expect(errorCodes(await login(a, 'forgetful', 'wrong password'))).toEqual(['UNAUTHENTICATED']);
  });

  it('limits registrations per address', async () => {
    const ip = address();
    const register = (graph: TestGraph, handle: string, at = ip) =>
      graphql(graph.url, `mutation($h: String!) { register(handle: $h, password: "long enough") { token } }`, {
        variables: { h: handle },
        headers: from(at),
      });
    for (let i = 0; i < 5; i++) expect((await register(i % 2 ? a : b, `signup${i}`)).errors).toBeUndefined();
    const refused = await register(a, 'signup5');
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect((await register(b, 'signup5', address())).errors).toBeUndefined();
  });

  it('limits writes per user, whichever server takes them', async () => {
    const writer = await registerAccount(a.url, 'writer');
    const update = (graph: TestGraph) =>
      graphql(graph.url, `mutation { updateProfile(bio: "again") { id } }`, {
        token: writer.token,
        headers: from(address()),
      });
    for (let i = 0; i < 5; i++) expect((await update(i % 2 ? a : b)).errors).toBeUndefined();
    const refused = await update(b);
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
  });

  it('limits requests per address at the door of each server with 429 and Retry-After', async () => {
    const ip = address();
    for (let i = 0; i < 30; i++)
      expect((await graphql(a.url, '{ __typename }', { headers: from(ip) })).status).toBe(200);
    const refused = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from(ip) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await graphql(a.url, '{ __typename }', { headers: from(address()) })).status).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    // C does not trust 127.0.0.1: every request counts against the peer, whatever it claims.
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push((await graphql(c.url, '{ __typename }', { headers: from(address()) })).status);
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it('limits WebSocket connections per address', async () => {
    const ip = address();
    const open = (graph: TestGraph) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(graph.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: from(ip) });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.once('error', () => resolve(-1));
      });
    expect([await open(a), await open(b), await open(a)]).toEqual([101, 101, 101]);
    expect(await open(b)).toBe(429);
  });

  it('works on a store without TTL indexes (FerretDB): an expired counter is replaced, and swept', async () => {
    const db = mongo.db(`${services.dbPrefix}sweep`);
    const limits = await RateLimits.create(parseEnv(rateLimitsEnv, {}), db, createLogger('test', 'silent'));
    const counters = db.collection(RATE_LIMIT_COLLECTION);
    const past = new Date(Date.now() - 1000);
    await counters.insertOne({ key: 'writes:203.0.113.1', points: 1_000_000, expire: past });
    await counters.insertOne({ key: 'writes:203.0.113.2', points: 1, expire: past });
    // The spent, expired window does not count: the library replaces it (its duplicate-key path).
    expect(await limits.consume('writes', '203.0.113.1')).toBeNull();
    expect((await counters.findOne({ key: 'writes:203.0.113.1' }))?.points).toBe(1);
    expect(await limits.sweep()).toBe(1);
    expect(await counters.countDocuments()).toBe(1);
  });
});
