import { runMain, startSubgraph } from '@micropost/server';
import { usersSubgraph } from './subgraph.ts';

runMain(() => startSubgraph(usersSubgraph));
