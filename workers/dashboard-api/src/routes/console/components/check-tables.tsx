/**
 * The check detail tables: key, legacy, new, difference, verdict — money in the shop's currency,
 * every difference a signed percent, products by title linked to their ids, and long lists in
 * pages (plain links, so they work without JavaScript).
 */
import type { FC } from 'hono/jsx';
import type { DetailRow, DetailTable, Key, Value } from './check-rows.ts';
import { count, type MoneyFormat, signedPercent } from './format.ts';

export interface TableContext {
  money: MoneyFormat;
  titles: ReadonlyMap<number, string>;
  /** The page of each table, by its query parameter. */
  pageOf: (param: string) => number;
  /** The console URL showing `page` of the table with query parameter `param`. */
  hrefFor: (param: string, page: number) => string;
}

export const PAGE_SIZE = 31;

export const KeyCell: FC<{ value: Key; titles: ReadonlyMap<number, string> }> = ({ value, titles }) => {
  if (!('product' in value)) return <>{value.text}</>;
  const title = titles.get(value.product);
  const named = title ?? ('text' in value && value.text && !value.text.includes('·') ? value.text : null);
  const suffix = value.text && value.text !== named ? value.text : null;
  return (
    <>
      <a href={`/api/products/${value.product}`}>{named ?? `product ${value.product}`}</a>{' '}
      <span class="muted small">#{value.product}</span>
      {suffix ? <span class="small"> · {suffix}</span> : null}
    </>
  );
};

export const ValueCell: FC<{ value: Value; money: MoneyFormat }> = ({ value, money }) => {
  if (value === null) return <span class="muted">missing</span>;
  if ('money' in value) return <>{money(value.money)}</>;
  if ('count' in value) return <>{count(value.count)}</>;
  return <>{value.text}</>;
};

export const RowsTable: FC<{ rows: DetailRow[]; caption: string; context: TableContext; id?: string }> = ({
  rows,
  caption,
  context,
  id,
}) => (
  <table class="detail" id={id}>
    <caption>{caption}</caption>
    <thead>
      <tr>
        <th scope="col">key</th>
        <th scope="col" class="num">
          legacy
        </th>
        <th scope="col" class="num">
          new
        </th>
        <th scope="col" class="num">
          difference
        </th>
        <th scope="col">verdict</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr class={r.verdict.class === 'pass' ? undefined : 'beyond'}>
          <th scope="row">
            <KeyCell value={r.key} titles={context.titles} />
            {r.note ? <div class="muted small">{r.note}</div> : null}
          </th>
          <td class="num">
            <ValueCell value={r.legacy} money={context.money} />
          </td>
          <td class="num">
            <ValueCell value={r.new} money={context.money} />
          </td>
          <td class="num">{signedPercent(r.difference)}</td>
          <td>
            <span class={`badge ${r.verdict.class}`}>{r.verdict.label}</span>
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** One detail table, a page at a time; `param` names its page in the URL. */
export const PagedTable: FC<{ table: DetailTable; param: string; context: TableContext }> = ({
  table,
  param,
  context,
}) => {
  if (table.rows.length === 0) return null;
  const pages = Math.ceil(table.rows.length / PAGE_SIZE);
  const page = Math.min(Math.max(1, context.pageOf(param)), pages);
  const rows = table.rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const sample = table.total !== undefined && table.total > table.rows.length;
  const caption = `${table.caption}: ${table.rows.length}${sample ? ` shown of ${table.total}` : ''}${
    pages > 1 ? `, page ${page} of ${pages}` : ''
  }`;
  const open = context.pageOf(param) > 1;
  const body = (
    <>
      <RowsTable rows={rows} caption={caption} context={context} />
      {pages > 1 ? (
        <nav class="pager" aria-label={`Pages of ${table.caption}`}>
          {page > 1 ? <a href={context.hrefFor(param, page - 1)}>← previous</a> : <span class="muted">← previous</span>}
          <span>
            page {page} of {pages}
          </span>
          {page < pages ? <a href={context.hrefFor(param, page + 1)}>next →</a> : <span class="muted">next →</span>}
        </nav>
      ) : null}
    </>
  );
  return table.folded ? (
    <details id={param} data-table={table.id} open={open}>
      <summary>
        {table.caption} ({table.rows.length})
      </summary>
      {body}
    </details>
  ) : (
    <div id={param} data-table={table.id}>
      {body}
    </div>
  );
};
