import type { ServerResponse } from 'node:http';
import type { BodyWriter } from './body-writer.js';
import { csvCell } from './encode.js';
import { ckanLinks } from './links.js';
import {
  countSql,
  decodeAfter,
  decodeCursor,
  encodeCursor,
  pageSql,
  type PagingCaches,
  type Position,
} from './paging.js';
import type { SearchRequest } from './params.js';
import { sqlLiteral, type Output, type SearchPlan } from './query.js';
import type { Connection } from './store.js';
import type { Backend } from './types.js';

export interface SearchContext {
  connection: Connection;
  caches: PagingCaches;
  backend: Backend;
  helpUrl: string;
  /** The request's path and query string, for `_links`. */
  pathWithQuery: string;
}

/**
 * Runs a planned search and streams CKAN's answer. Keys come in CKAN's order: the validated
 * parameters (alphabetically, as CKAN's validation leaves them), then `records`, `fields`
 * (unless `fields` was asked for, which keeps its place), `_links`, `total`,
 * `total_was_estimated`; then what the solr and versioned-datastore backends add.
 */
export async function streamSearch(
  context: SearchContext,
  request: SearchRequest,
  plan: SearchPlan,
  res: ServerResponse,
  writer: BodyWriter,
): Promise<void> {
  const { connection, caches, backend } = context;
  const { limit, offset } = request;

  // Where to start: a cursor or `after`, else the offset (continued from a cached position).
  let position: Position | undefined;
  let keysetPaging = false;
  if (backend === 'solr' && request.cursor !== undefined) {
    position = decodeCursor(request.cursor, plan.order);
    keysetPaging = true;
  } else if (
    backend === 'versioned-datastore' &&
    request.after !== undefined &&
    request.after !== null
  ) {
    position = decodeAfter(request.after, plan.order);
    keysetPaging = true;
  } else {
    position = caches.positionBefore(plan, offset);
  }

  const total = request.includeTotal
    ? caches.count(
        plan,
        () =>
          connection
            .prepare(countSql(plan))
            .pluck()
            .get(...plan.params) as number,
      )
    : undefined;
  const csv = request.recordsFormat === 'csv' || request.recordsFormat === 'tsv';
  // Objects and lists: SQLite writes each record's JSON. CSV and TSV: values, written here.
  const leading = csv
    ? plan.outputs.map((o) => o.sql)
    : [recordSql(request.recordsFormat, plan.outputs)];
  // Cursor paging ignores offset (the solr backend's cursorMark and Elasticsearch's
  // search_after have none).
  const page = pageSql(plan, leading, { limit, offset: keysetPaging ? 0 : offset, position });
  const rows =
    limit > 0
      ? (connection
          .prepare(page.sql)
          .raw(true)
          .iterate(...page.params) as IterableIterator<unknown[]>)
      : undefined;

  const outputs = plan.outputs;
  const resultFields = outputs.map((o) =>
    o.info === undefined ? { id: o.id, type: o.type } : { id: o.id, type: o.type, info: o.info },
  );
  let count = 0;
  let last: unknown[] | undefined;
  // The iterator holds the connection: whatever happens, it is closed in `finally`.
  try {
    const echo: Record<string, unknown> = { filters: {}, ...request.echo };
    if (request.fields !== undefined) echo['fields'] = resultFields;
    if (backend === 'versioned-datastore') delete echo['after']; // answered below with the new one

    res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
    writer.push(`{"help":${JSON.stringify(context.helpUrl)},"success":true,"result":{`);
    for (const key of Object.keys(echo).sort())
      writer.push(`${JSON.stringify(key)}:${JSON.stringify(echo[key])},`);
    writer.push('"records":');

    if (csv) {
      const encodeLine = csvLineEncoder(request.recordsFormat === 'csv' ? ',' : '\t', outputs);
      writer.push('"');
      for (const row of rows ?? []) {
        if (writer.push(encodeLine(row))) await writer.flush();
        last = row;
        count++;
      }
      writer.push('"');
    } else {
      writer.push('[');
      for (const row of rows ?? []) {
        if (writer.push(count === 0 ? (row[0] as string) : `,${row[0] as string}`))
          await writer.flush();
        last = row;
        count++;
      }
      writer.push(']');
    }
  } finally {
    rows?.return?.();
  }

  const end: Position | undefined = last?.slice(leading.length);
  if (!keysetPaging && end) caches.rememberEnd(plan, offset + count, end);

  if (request.fields === undefined) writer.push(`,"fields":${JSON.stringify(resultFields)}`);
  writer.push(`,"_links":${JSON.stringify(ckanLinks(context.pathWithQuery, offset, limit))}`);
  if (total !== undefined) writer.push(`,"total":${total},"total_was_estimated":false`);
  if (backend === 'solr') {
    // Solr's cursorMark stays the same once the results are exhausted.
    if (request.cursor !== undefined)
      writer.push(`,"next_cursor":${JSON.stringify(end ? encodeCursor(end) : request.cursor)}`);
    writer.push(',"_backend":"solr"');
  } else if (backend === 'versioned-datastore') {
    writer.push(`,"after":${JSON.stringify(end ?? null)},"_backend":"versioned-datastore"`);
  }
  writer.push('}}');
  await writer.end();
}

/**
 * SQL for one record as JSON: `{"_id":1,"name":"a"}` (objects) or `[1,"a"]` (lists), keys in
 * the order of the fields, as PostgreSQL's array_to_json writes rows.
 */
function recordSql(format: SearchRequest['recordsFormat'], outputs: Output[]): string {
  if (format === 'lists')
    return `'[' || ${outputs.map((o) => o.jsonSql).join(" || ',' || ")} || ']'`;
  const parts = outputs.map(
    (o, i) => `${sqlLiteral(`${i === 0 ? '{' : ','}${JSON.stringify(o.id)}:`)} || ${o.jsonSql}`,
  );
  return `${parts.join(' || ')} || '}'`;
}

/** One CSV or TSV line, escaped to sit inside the JSON string `records`. */
function csvLineEncoder(delimiter: string, outputs: Output[]): (row: unknown[]) => string {
  const count = outputs.length;
  const cells = outputs.map((o) => o.cell);
  return (row) => {
    let line = '';
    for (let i = 0; i < count; i++)
      line += (i === 0 ? '' : delimiter) + csvCell(cells[i]!(row[i]), delimiter);
    // PostgreSQL's COPY ends every row with \n.
    return JSON.stringify(`${line}\n`).slice(1, -1);
  };
}
