import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { User } from './entities/user.entity.js';
import { userColumns, userFromRow, type UserRow } from './entities/user-row.js';

/** A position in the newest-first order: a row's created_at (to the microsecond, UTC ISO text) and id. */
export interface UserListKey {
  createdAt: string;
  id: string;
}

/**
 * One page of the users list, newest first: after `after` (keyset) or `offset` rows in, optionally
 * matching `search` anywhere in email, username or name.
 */
export interface UserListQuery {
  limit: number;
  offset?: number;
  after?: UserListKey;
  search?: string;
}

export interface UserListPage {
  items: User[];
  /** The key of the page's last row when more rows follow, else null. */
  next: UserListKey | null;
  total: number;
  /** False when `total` is the table's estimated size (whole list) or a lower bound (search). */
  totalExact: boolean;
}

/** Up to this many users, the whole list's total is an exact count; above it, the planner's estimate. */
export const LIST_COUNT_CAP = 1000;

/**
 * Up to this many matches, a search's total is exact; above it, `total` is this plus one. Counting
 * further reads about cap / (share of rows that match) rows for a term of middling frequency.
 */
export const SEARCH_COUNT_CAP = 100;

/** A search first looks for its page among this many newest rows: enough for any term that is not rare. */
const SEARCH_WINDOW = 5000;

const KEY_COLUMN = `to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The admin list's reads of the users table, each bounded whatever the table's size: pages walk the
 * (created_at, id) index, a search uses the trigram indexes (which is why a term needs three letters
 * or digits in a row), and totals stop counting at a cap.
 */
@Injectable()
export class UserListService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(query: UserListQuery): Promise<UserListPage> {
    const [newest, { total, totalExact }] = await Promise.all([
      this.newestRows(query, 'newest-window'),
      this.total(query.search),
    ]);
    let rows = newest;
    // Too few matches among the newest rows, unless the exact count says they were all there: read all matches.
    const allFound = !query.after && totalExact && (query.offset ?? 0) + rows.length >= total;
    if (query.search && rows.length <= query.limit && !allFound) rows = await this.newestRows(query, 'all-matches');
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => userFromRow(row)),
      next: rows.length > query.limit && last ? { createdAt: last.key_created_at, id: last.user_id } : null,
      total,
      totalExact,
    };
  }

  /**
   * One row more than the page (which says whether a next page exists), newest first. A search either
   * looks for matches only among the SEARCH_WINDOW rows after the cursor, walking the (created_at, id)
   * index; or gathers every match first (the trigram indexes find them) and sorts them, so the planner
   * cannot walk the whole index past rows that never match, as it did (4 s at 1 M users) for a term it
   * believed common but only old rows had.
   */
  private newestRows(
    { limit, offset = 0, after, search }: UserListQuery,
    searchIn: 'newest-window' | 'all-matches',
  ): Promise<Array<UserRow & { key_created_at: string }>> {
    const params: unknown[] = [];
    const where = (...conditions: Array<string | undefined>) => {
      const present = conditions.filter((condition) => condition !== undefined);
      return present.length ? `WHERE ${present.join(' AND ')}` : '';
    };
    let afterKey: string | undefined;
    if (after) {
      params.push(after.createdAt, after.id);
      afterKey = `(u.created_at, u.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    const match = search ? this.matching(params, search) : undefined;
    const order = 'ORDER BY u.created_at DESC, u.id DESC';
    let source: string;
    if (!match) source = `SELECT * FROM users u ${where(afterKey)}`;
    else if (searchIn === 'all-matches')
      source = `WITH matches AS MATERIALIZED (SELECT * FROM users u ${where(afterKey, match)}) SELECT * FROM matches u`;
    else {
      params.push(SEARCH_WINDOW);
      source = `SELECT * FROM (SELECT * FROM users u ${where(afterKey)} ${order} LIMIT $${params.length}) u ${where(match)}`;
    }
    params.push(limit + 1, offset);
    return this.dataSource.query(
      `SELECT ${userColumns('u')}, ${KEY_COLUMN} AS key_created_at FROM (${source}) u
       ${order} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
  }

  private async total(search: string | undefined): Promise<Pick<UserListPage, 'total' | 'totalExact'>> {
    const params: unknown[] = [];
    const where = search ? `WHERE ${this.matching(params, search)}` : '';
    const cap = search ? SEARCH_COUNT_CAP : LIST_COUNT_CAP;
    params.push(cap + 1);
    const [{ count }] = await this.dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM (SELECT 1 FROM users u ${where} LIMIT $${params.length}) capped`,
      params,
    );
    if (count <= cap) return { total: count, totalExact: true };
    if (search) return { total: count, totalExact: false };
    return { total: Math.max(count, await this.estimatedSize()), totalExact: false };
  }

  /**
   * The planner's row estimate for the whole table: the last ANALYZE's density scaled to the table's
   * current size, so it follows growth between analyses (and works on embedded PGlite, which has no
   * autovacuum).
   */
  private async estimatedSize(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>>(
      'EXPLAIN (FORMAT JSON) SELECT 1 FROM users',
    );
    return Math.round(row?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
  }

  /** `ILIKE '%term%'` on email, username or name with `%`, `_` and `\` taken literally; the trigram indexes serve it. */
  private matching(params: unknown[], search: string): string {
    params.push(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    return `(u.email ILIKE $${params.length} OR u.username ILIKE $${params.length} OR u.name ILIKE $${params.length})`;
  }
}
