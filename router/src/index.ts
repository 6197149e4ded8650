import { runMain } from '@micropost/server';
import { startRouter } from './router.ts';

runMain(() => startRouter());
