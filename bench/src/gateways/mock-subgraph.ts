// One in-memory subgraph of the isolation scenario (MOCK_SUBGRAPH names it) in a process of its own.
import { runMain } from '@micropost/server';
import { mockSubgraphs } from '../router/mock-subgraphs.ts';
import { serveMock } from '../router/serve-mock.ts';

runMain(async () => {
  const mock = mockSubgraphs().find((candidate) => candidate.name === process.env.MOCK_SUBGRAPH);
  if (!mock) throw new Error(`MOCK_SUBGRAPH must name a served subgraph, not ${process.env.MOCK_SUBGRAPH}`);
  const served = await serveMock(mock, process.env, Number(process.env.PORT), true);
  return { name: mock.name, url: served.url, port: served.port, stop: served.stop };
});
