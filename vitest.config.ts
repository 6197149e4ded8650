import { defineConfig } from 'vitest/config';

// One configuration for the whole monorepo; workspace packages resolve as @micropost/* through
// node_modules symlinks. The global setup starts one FerretDB and one RabbitMQ node per run.
export default defineConfig({
  test: {
    include: ['{packages,subgraphs,router}/**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
