/** What the one-per-run services look like to test files (provided by global-setup.ts). */
export interface MicropostServices {
  mongoUrl: string;
  /** No vhost: each test file adds its own. */
  amqpUrl: string;
  managementUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    micropostServices: MicropostServices;
  }
}
