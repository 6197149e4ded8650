import { runMain, startSubgraph } from '@micropost/server';
import { feedSubgraph } from './subgraph.ts';

runMain(() => startSubgraph(feedSubgraph));
