import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist and served by every router at `/` (router/src/static-files.ts). Everything is
// bundled: no fonts or scripts from anywhere else.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', chunkSizeWarningLimit: 800 },
  // `npm run dev -w @micropost/web` against a running `npm start`.
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
