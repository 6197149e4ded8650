import { runMain, startSubgraph } from '@micropost/server';
import { postsSubgraph } from './subgraph.ts';

runMain(() => startSubgraph(postsSubgraph));
