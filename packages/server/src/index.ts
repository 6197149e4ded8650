export * from './errors.ts';
export * from './context.ts';
export * from './http.ts';
export * from './subgraph.ts';
export * from './main.ts';
export * from './scalars.ts';
export * from './pagination.ts';
export * from './periodic-task.ts';
