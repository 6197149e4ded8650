// Our router with the isolation scenario's subgraphs in its own process, called in-process, as
// `npm start` runs every subgraph beside the router.
import { startRouter } from '@micropost/router';
import { runMain } from '@micropost/server';
import { subgraphUrlVariable } from '@micropost/router/subgraphs';
import { mockSubgraphs } from '../router/mock-subgraphs.ts';
import { serveMock } from '../router/serve-mock.ts';

runMain(async () => {
  const served = await Promise.all(mockSubgraphs().map((mock) => serveMock(mock, process.env, 0, false)));
  const urls = Object.fromEntries(served.map(({ local, url }) => [subgraphUrlVariable(local.name), url]));
  const router = await startRouter({ ...process.env, ...urls }, { local: served.map(({ local }) => local) });
  return {
    ...router,
    stop: async () => {
      await router.stop();
      for (const subgraph of served) await subgraph.stop();
    },
  };
});
