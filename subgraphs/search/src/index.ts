import { runMain, startSubgraph } from '@micropost/server';
import { searchSubgraph } from './subgraph.ts';

runMain(() => startSubgraph(searchSubgraph));
