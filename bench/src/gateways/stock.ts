// The stock @apollo/gateway with @apollo/server defaults (startStandaloneServer), over the same
// supergraph file, forwarding the identity header the subgraphs need.
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { IDENTITY_HEADER } from '@micropost/auth';
import { identitySigner } from './identity.ts';

interface Context {
  identity: string | null;
}

class ForwardIdentity extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>) {
    if (context.identity && request.http) request.http.headers.set(IDENTITY_HEADER, context.identity);
  }
}

const sign = identitySigner(process.env);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'),
  buildService: ({ url }) => new ForwardIdentity({ url }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ identity: await sign(req.headers.authorization) }),
});
process.stderr.write(`stock gateway on ${url}\n`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
