// Hive Gateway (@graphql-hive/gateway, programmatic runtime) over the same supergraph file,
// forwarding the identity header the subgraphs need; no usage reporting (no Hive token given).
import http from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { IDENTITY_HEADER } from '@micropost/auth';
import { identitySigner } from './identity.ts';

const sign = identitySigner(process.env);
/** One signature per client request, however many subgraph fetches it causes. */
const perRequest = new WeakMap<Request, Promise<string | null>>();

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_FILE!,
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => {
      let identity = perRequest.get(request);
      if (!identity) perRequest.set(request, (identity = sign(request.headers.get('authorization'))));
      const value = await identity;
      return value ? { [IDENTITY_HEADER]: value } : {};
    },
  },
});
const server = http.createServer(gateway);
server.listen(Number(process.env.PORT), '127.0.0.1', () =>
  process.stderr.write(`hive gateway on ${process.env.PORT}\n`),
);
process.once('SIGTERM', () => server.close(() => void Promise.resolve(gateway.dispose()).then(() => process.exit(0))));
