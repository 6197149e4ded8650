/** What the one-per-run services look like to test files (provided by global-setup.ts). */
export interface MicropostServices {
  mongoUrl: string;
  /**
   * The embedded FerretDB's PostgreSQL (`postgres://…/postgres`), for scan checks; undefined when
   * MONGO_URL points at another database (set POSTGRES_URL with it if that is a FerretDB's).
   */
  postgresUrl?: string;
  /** No vhost: each test file adds its own. */
  amqpUrl: string;
  managementUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    micropostServices: MicropostServices;
  }
}
