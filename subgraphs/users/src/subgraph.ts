import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { AccessTokens } from '@micropost/auth';
import { authEnv } from '@micropost/config';
import { defineSubgraph } from '@micropost/server';
import { createUsersContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { UserStore } from './store.ts';

/** Accounts, passwords, tokens and profiles. Owns `User`. */
export const usersSubgraph = defineSubgraph({
  name: 'users',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  shardKeys: UserStore.shardKeys,
  env: { JWT_SECRET: authEnv.JWT_SECRET, TOKEN_TTL_SECONDS: authEnv.TOKEN_TTL_SECONDS },
  async setup({ db, env, outbox }) {
    const store = await UserStore.open(db, outbox.notify);
    const tokens = new AccessTokens(env.JWT_SECRET, env.TOKEN_TTL_SECONDS);
    return {
      resolvers,
      createContext: (request) => createUsersContext(request, store, tokens),
      outboxCollections: [store.users],
    };
  },
});

/** The default export is what the app loads for this package's entry in subgraphs/registry.ts. */
export default usersSubgraph;
