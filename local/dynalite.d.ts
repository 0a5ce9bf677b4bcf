/** Type declarations for dynalite 4 (the package ships none): a factory returning an http.Server. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of a dynalite server. */
  export interface DynaliteOptions {
    /** LevelDB directory; in-memory when omitted. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
  }

  /** Creates a DynamoDB-compatible HTTP server (not yet listening); `close()` also closes the store. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
