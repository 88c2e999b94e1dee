import type pg from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A statement of a hot path: its SQL, and the name it is prepared under (unique in the process). */
export interface PooledStatement {
  name: string;
  text: string;
}

export interface PooledStatementsOptions {
  /** False on embedded PGlite: one session behind every connection, where a name one connection prepared collides with the next's. */
  prepare: boolean;
}

/**
 * Runs a statement of a hot path (one that needs no transaction) straight on the driver's pool,
 * without TypeORM's query runner around it. On a Postgres server each statement is prepared once per
 * connection, by name, so the server parses and plans it once instead of on every call: for the
 * refresh statement that halved the server's CPU per call. Errors are the driver's own, which the
 * error filter reads as it reads TypeORM's.
 */
export class PooledStatements {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: PooledStatementsOptions,
  ) {}

  async rows<Row extends pg.QueryResultRow>(statement: PooledStatement, values: unknown[]): Promise<Row[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as pg.Pool;
    const { name, text } = statement;
    const result = await pool.query<Row>(this.options.prepare ? { name, text, values } : { text, values });
    return result.rows;
  }
}
