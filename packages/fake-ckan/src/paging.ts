import { invalidValue } from './errors.js';
import { orderSql, type OrderKey, type SearchPlan } from './query.js';

/** Where a page ended: the order-key values of its last row. */
export type Position = unknown[];

/**
 * Rows strictly after `position` in `order`: (k1 after p1) OR (k1 = p1 AND k2 after p2) OR ….
 * Nulls sit where PostgreSQL puts them (last ascending, first descending, unless the sort said
 * otherwise), so each key's "after" depends on its direction and null placement.
 */
export function keysetCondition(
  order: OrderKey[],
  position: Position,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const alternatives: string[] = [];
  const equal: string[] = [];
  const equalParams: unknown[] = [];
  order.forEach((key, index) => {
    const value = position[index];
    const notNull = key.sql === '_id';
    let after: string | undefined;
    const afterParams: unknown[] = [];
    if (value === null) {
      if (key.nullsFirst) after = `${key.sql} IS NOT NULL`;
    } else {
      const beyond = `${key.sql} ${key.desc ? '<' : '>'} ?`;
      after = notNull || key.nullsFirst ? beyond : `(${beyond} OR ${key.sql} IS NULL)`;
      afterParams.push(value);
    }
    if (after !== undefined) {
      alternatives.push(equal.length > 0 ? `(${[...equal, after].join(' AND ')})` : after);
      params.push(...equalParams, ...afterParams);
    }
    equal.push(notNull ? `${key.sql} = ?` : `${key.sql} IS ?`);
    equalParams.push(value);
  });
  // Past the end of the order (every key equal to the last row): nothing is after it.
  return { sql: alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : '0', params };
}

/** ckanext-datasolr style: an opaque string; `*` starts. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, order: OrderKey[]): Position | undefined {
  if (cursor === '*') return undefined;
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidValue('cursor', cursor);
  }
  if (!isPosition(position, order)) throw invalidValue('cursor', cursor);
  return position;
}

/** ckanext-versioned-datastore style: the last row's sort values as a list, `_id` last. */
export function decodeAfter(after: unknown, order: OrderKey[]): Position | undefined {
  if (after === null || after === undefined) return undefined;
  if (!isPosition(after, order)) throw invalidValue('after', after);
  return after;
}

function isPosition(value: unknown, order: OrderKey[]): value is Position {
  return (
    Array.isArray(value) &&
    value.length === order.length &&
    value.every((item) => item === null || typeof item === 'number' || typeof item === 'string')
  );
}

/** A Map used as a small least-recently-used cache. */
class Lru<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly size: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * Makes offset paging cost the same on the last page as on the first. SQLite, like
 * PostgreSQL, would step over `offset` rows for every page: 3,000,000 rows in pages of 5000
 * would step over 900 million rows in all. Resources never change once loaded, so:
 * - where a page ended is remembered, and a request for the rows that follow continues from
 *   there (keyset) instead of skipping;
 * - with no condition and the `_id` order, the row at offset n has `_id` n + 1.
 * Counts are remembered for the same reason.
 */
export class PagingCaches {
  private readonly ends = new Lru<Position>(256);
  private readonly counts = new Lru<number>(256);

  /** Where the row before `offset` is known to be, if it is. */
  positionBefore(plan: SearchPlan, offset: number): Position | undefined {
    if (offset === 0) return undefined;
    const { order } = plan;
    if (
      plan.where === '' &&
      !plan.distinct &&
      order.length === 1 &&
      order[0]!.sql === '_id' &&
      !order[0]!.desc
    )
      return [offset];
    return this.ends.get(`${plan.signature}@${offset}`);
  }

  rememberEnd(plan: SearchPlan, offset: number, position: Position): void {
    this.ends.set(`${plan.signature}@${offset}`, position);
  }

  count(plan: SearchPlan, compute: () => number): number {
    if (plan.where === '' && !plan.distinct) return plan.resource.total;
    let count = this.counts.get(plan.countSignature);
    if (count === undefined) {
      count = compute();
      this.counts.set(plan.countSignature, count);
    }
    return count;
  }
}

/**
 * The SELECT for one page: the `leading` columns (the record's JSON, or its values), then the
 * order keys, to know where the page ended.
 */
export function pageSql(
  plan: SearchPlan,
  leading: string[],
  page: { limit: number; offset: number; position: Position | undefined },
): { sql: string; params: unknown[] } {
  const conditions = plan.where ? [plan.where] : [];
  const params = [...plan.params];
  if (page.position) {
    const keyset = keysetCondition(plan.order, page.position);
    conditions.push(keyset.sql);
    params.push(...keyset.params);
  }
  const columns = [...leading, ...plan.order.map((k) => k.sql)];
  const sql =
    `SELECT ${plan.distinct ? 'DISTINCT ' : ''}${columns.join(', ')} FROM ${plan.resource.table}` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY ${plan.order.map(orderSql).join(', ')} LIMIT ? OFFSET ?`;
  params.push(page.limit, page.position ? 0 : page.offset);
  return { sql, params };
}

export function countSql(plan: SearchPlan): string {
  const where = plan.where ? ` WHERE ${plan.where}` : '';
  if (plan.distinct)
    return `SELECT count(*) FROM (SELECT DISTINCT ${plan.outputs.map((o) => o.sql).join(', ')} FROM ${plan.resource.table}${where})`;
  return `SELECT count(*) FROM ${plan.resource.table}${where}`;
}
