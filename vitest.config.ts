import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// One configuration for the whole monorepo; workspace packages resolve as @micropost/* through
// node_modules symlinks. The global setup starts one FerretDB and one RabbitMQ node per run.
export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the Apollo packages; Vite would hand our sources its
    // ESM build. Two copies of graphql cannot share schemas, so ours use Node's too.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['{packages,subgraphs,router,app,bench,scripts,web}/**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
