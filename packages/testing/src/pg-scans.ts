import { join } from 'node:path';
import { findPostgresBin, run } from '@micropost/infra';
import { waitFor } from './wait-for.ts';

/** PostgreSQL's scan counters of one table (FerretDB: one table per collection, one schema per database). */
export interface TableScans {
  /** `schema.table`; FerretDB names a collection's table `<collection>_<hash>`. */
  table: string;
  rows: number;
  seqScan: number;
  idxScan: number;
}

/** A table that PostgreSQL read sequentially during an action. */
export interface SeqScan {
  table: string;
  rows: number;
  /** Sequential scans during the action. */
  seqScans: number;
  /** Index scans during the action. */
  idxScans: number;
}

export interface ScanCheckOptions {
  /** The embedded FerretDB's PostgreSQL: `inject('micropostServices').postgresUrl`. */
  postgresUrl: string;
  /** Only schemas (= MongoDB databases) whose name starts with this, e.g. a test's dbPrefix. */
  schemaPrefix: string;
  /** Sequential scans of smaller tables are not reported (a few pages: PostgreSQL may rightly prefer them). */
  minRows?: number;
  /**
   * How long the counters must stay unchanged to count as settled. PostgreSQL 15 backends publish
   * their counters when idle, but at most once a second: a busier backend's are held back up to
   * 10 s (PGSTAT_IDLE_INTERVAL), so anything shorter can miss scans.
   */
  quietMs?: number;
  timeoutMs?: number;
  /**
   * Which counters must stay unchanged to count as settled: every counter (default), or only the
   * sequential scans of tables of more than `minRows` rows — for a running graph, whose background
   * work (outbox relays, periodic tasks) keeps making index scans.
   */
  settleOn?: 'every counter' | 'sequential scans';
  /**
   * Turn PostgreSQL's `enable_seqscan` off while the actions run (server-wide, restored after), so
   * that a sequential scan means no index could serve the query, not that the planner found one
   * pass over a small table cheaper than the index probes. Other queries meanwhile just prefer
   * indexes.
   */
  onlyWhereNoIndex?: boolean;
}

/** Smaller tables are a few pages: PostgreSQL may rightly prefer reading them whole. */
const DEFAULT_MIN_ROWS = 300;

function psql(): string {
  const bin = findPostgresBin();
  return bin === undefined ? 'psql' : join(bin, 'psql');
}

async function sql(postgresUrl: string, ...statements: string[]): Promise<string> {
  const args = ['-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', postgresUrl];
  // One -c each: ALTER SYSTEM cannot run inside the transaction a multi-statement -c would be.
  const result = await run(psql(), [...args, ...statements.flatMap((statement) => ['-c', statement])], {
    timeoutMs: 15_000,
  });
  if (result.code !== 0) throw new Error(`psql failed (${result.code ?? result.signal}): ${result.output}`);
  return result.output;
}

/** Reads `pg_stat_user_tables` for the schemas starting with `schemaPrefix`. */
export async function readTableScans(postgresUrl: string, schemaPrefix: string): Promise<TableScans[]> {
  // Inlined into the SQL (psql -c does not interpolate variables): so only plain names.
  if (!/^[A-Za-z0-9_]*$/.test(schemaPrefix)) throw new Error(`schemaPrefix must be [A-Za-z0-9_]*, not ${schemaPrefix}`);
  const output = await sql(
    postgresUrl,
    "SELECT schemaname || '.' || relname, n_live_tup, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables " +
      `WHERE starts_with(schemaname, '${schemaPrefix}') ORDER BY 1`,
  );
  return output
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const [table = '', rows, seqScan, idxScan] = line.split('\t');
      return { table, rows: Number(rows), seqScan: Number(seqScan), idxScan: Number(idxScan) };
    });
}

/** Polls until the counters have not changed for `quietMs`, and returns them. */
async function settled(options: ScanCheckOptions): Promise<Map<string, TableScans>> {
  const { postgresUrl, schemaPrefix, quietMs = 10_500, timeoutMs = 90_000, settleOn = 'every counter' } = options;
  const watched = (tables: TableScans[]) =>
    settleOn === 'every counter'
      ? tables
      : tables
          .filter((table) => table.rows > (options.minRows ?? DEFAULT_MIN_ROWS))
          .map(({ table, seqScan }) => [table, seqScan]);
  let last = '';
  let since = Date.now();
  return waitFor(
    async () => {
      const tables = await readTableScans(postgresUrl, schemaPrefix);
      const now = JSON.stringify(watched(tables));
      if (now !== last) {
        last = now;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= quietMs && new Map(tables.map((table) => [table.table, table]));
    },
    { timeoutMs, intervalMs: 250, message: `PostgreSQL's scan counters of ${schemaPrefix}* never settled` },
  );
}

/** What one action made PostgreSQL scan. */
export interface ScanReport<T> {
  result: T;
  /** Tables of more than `minRows` rows read sequentially. */
  seqScans: SeqScan[];
  /** Index scans of the schemas' tables. */
  idxScans: number;
}

/**
 * Runs `action` between two settled readings of `pg_stat_user_tables` and reports the tables of
 * more than `minRows` rows (default 300) that PostgreSQL read sequentially meanwhile, and the number
 * of index scans. Slow (two quiet periods of ~10 s): measure several requests in one action.
 */
export async function seqScansDuring<T>(options: ScanCheckOptions, action: () => Promise<T>): Promise<ScanReport<T>> {
  const [report] = await seqScansDuringEach(options, [action]);
  return report!;
}

/** seqScansDuring for actions run one after the other, sharing the settled readings between them. */
export async function seqScansDuringEach<T>(
  options: ScanCheckOptions,
  actions: readonly (() => Promise<T>)[],
): Promise<ScanReport<T>[]> {
  const { minRows = DEFAULT_MIN_ROWS, postgresUrl, onlyWhereNoIndex = false } = options;
  // A GUC change does not invalidate cached generic plans: a statement FerretDB prepared earlier
  // could keep a sequential plan chosen while seqscans were on. Custom plans are made afresh.
  if (onlyWhereNoIndex)
    await sql(
      postgresUrl,
      'ALTER SYSTEM SET enable_seqscan = off',
      'ALTER SYSTEM SET plan_cache_mode = force_custom_plan',
      'SELECT pg_reload_conf()',
    );
  try {
    return await measureEach(options, actions, minRows);
  } finally {
    if (onlyWhereNoIndex)
      await sql(
        postgresUrl,
        'ALTER SYSTEM RESET enable_seqscan',
        'ALTER SYSTEM RESET plan_cache_mode',
        'SELECT pg_reload_conf()',
      );
  }
}

async function measureEach<T>(
  options: ScanCheckOptions,
  actions: readonly (() => Promise<T>)[],
  minRows: number,
): Promise<ScanReport<T>[]> {
  const reports: ScanReport<T>[] = [];
  let before = await settled(options);
  for (const action of actions) {
    const result = await action();
    const after = await settled(options);
    const seqScans: SeqScan[] = [];
    let idxScans = 0;
    for (const [table, now] of after) {
      const then = before.get(table) ?? { table, rows: 0, seqScan: 0, idxScan: 0 };
      idxScans += now.idxScan - then.idxScan;
      if (now.seqScan > then.seqScan && Math.max(now.rows, then.rows) > minRows) {
        const idx = now.idxScan - then.idxScan;
        seqScans.push({ table, rows: now.rows, seqScans: now.seqScan - then.seqScan, idxScans: idx });
      }
    }
    reports.push({ result, seqScans, idxScans });
    before = after;
  }
  return reports;
}
