import { runMain, startSubgraph } from '@micropost/server';
import { followsSubgraph } from './subgraph.ts';

runMain(() => startSubgraph(followsSubgraph));
