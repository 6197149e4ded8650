// Our router (router/src/router.ts) alone in its process, in front of the subgraph host.
import { startRouter } from '@micropost/router';
import { runMain } from '@micropost/server';

runMain(() => startRouter(process.env));
