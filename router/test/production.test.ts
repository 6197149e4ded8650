import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, graphql, type TestServices } from '@micropost/testing';
import { loadSubgraphs } from '@micropost/app';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';

// Sandbox and introspection: on in development, off with NODE_ENV=production unless asked for.
let services: TestServices;
let production: TestGraph;
let enabled: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  production = await startTestGraph(services.env({ NODE_ENV: 'production' }), await loadSubgraphs(['users']));
  enabled = await startTestGraph(
    services.env({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }),
    await loadSubgraphs(['users']),
  );
});
afterAll(async () => {
  await production?.stop();
  await enabled?.stop();
  await services?.dispose();
});

const sandbox = async (graph: TestGraph) =>
  (await (await fetch(graph.url, { headers: { accept: 'text/html' } })).text()).includes('sandbox');

describe('with NODE_ENV=production', () => {
  it('refuses introspection and serves no Sandbox, while queries work', async () => {
    const response = await graphql(production.url, '{ __schema { queryType { name } } }');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/introspection/i);
    expect(await sandbox(production)).toBe(false);
    expect((await graphql(production.url, '{ me { id } }')).status).toBe(200);
  });

  it('allows both when GRAPHQL_INTROSPECTION=true', async () => {
    const response = await graphql(enabled.url, '{ __schema { queryType { name } } }');
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(await sandbox(enabled)).toBe(true);
  });
});
