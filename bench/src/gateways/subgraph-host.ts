// Every subgraph of a Micropost server, without a router: the gateways compared in scenario 2 all
// sit in front of this one process. GET /health on PORT answers with the subgraphs' URLs.
import http from 'node:http';
import { eventBusFromEnv, loadSubgraphs } from '@micropost/app';
import { runMain, startSubgraph, type RunningService } from '@micropost/server';

runMain(async (): Promise<RunningService> => {
  const bus = await eventBusFromEnv(process.env);
  const started: RunningService[] = [];
  for (const definition of await loadSubgraphs())
    started.push(await startSubgraph(definition as never, { ...process.env, PORT: '0' }, { bus }));
  const urls = Object.fromEntries(started.map((service) => [service.name, service.url]));
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(urls));
  });
  const port = Number(process.env.PORT);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    name: 'subgraph-host',
    url: `http://127.0.0.1:${port}/health`,
    port,
    stop: async () => {
      server.close();
      for (const service of started.reverse()) await service.stop();
      await bus.close();
    },
  };
});
