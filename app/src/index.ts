import { runMain } from '@micropost/server';
import { startApp } from './app.ts';

runMain(() => startApp());
