export * from './tokens.ts';
export * from './passwords.ts';
