import { fileURLToPath } from 'node:url';

/** The monorepo root (this file lives at packages/infra/src/paths.ts). */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
