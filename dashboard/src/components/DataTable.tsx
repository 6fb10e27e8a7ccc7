/**
 * @module components/DataTable
 * The dashboard's one table: typed columns, click-to-sort headers, loading, error and empty
 * states, and "Download CSV" of the rows in the order shown.
 */
import { useId, useState, type ReactNode } from 'react';
import type { Resource } from '../api/use-resource';
import { toCsv, type CsvValue } from '../../../shared/csv';
import { saveBlob } from '../lib/save-file';
import { toDateInput } from '../lib/time';
import { Empty, ErrorNote, Loading } from './states';

/** What a column sorts by; null, undefined and '' sort last in either direction. */
export type SortValue = string | number | null | undefined;

/** One column: its header, how a row's cell looks, and optionally how it sorts and exports. */
export interface Column<Row> {
  /** Unique within the table; the sort state names it. */
  key: string;
  header: string;
  cell(row: Row): ReactNode;
  /** 'right' for numbers and money: right-aligned tabular figures. */
  align?: 'left' | 'right';
  /** The label a phone shows beside the value (data-label): the header unless given, null for none. */
  label?: string | null;
  /** The header is for screen readers only (an actions column). */
  hideHeader?: boolean;
  className?: string | ((row: Row) => string | undefined);
  testId?: string;
  /** Makes the header a sort button. */
  sortValue?(row: Row): SortValue;
  /**
   * The column's CSV fields, by CSV header in order: one usually, more where a cell shows
   * several things (a name over its id). A column without it is not exported.
   */
  csv?: Record<string, (row: Row) => CsvValue>;
}

export interface DataTableProps<Row> {
  columns: ReadonlyArray<Column<Row>>;
  /** The rows in their natural (server) order; undefined until the first load has answered. */
  rows: readonly Row[] | undefined;
  rowKey(row: Row, index: number): string;
  rowClassName?(row: Row): string | undefined;
  /** Shown when rows is an empty list. */
  empty: ReactNode;
  /** Shows loadingText while rows is undefined. */
  loading?: boolean;
  loadingText?: string;
  error?: string | null;
  onRetry?(): void;
  /** An h2 above the table, which also names it. */
  title?: string;
  /** More controls beside "Download CSV" (a server-side export link, say). */
  actions?: ReactNode;
  /** Offers "Download CSV" as <csvName>-YYYY-MM-DD.csv, with the columns' csv fields. */
  csvName?: string;
  /** Narrower cell padding on wide screens, for a table of many columns (the request list). */
  dense?: boolean;
}

type Sort = { key: string; direction: 'ascending' | 'descending' } | null;

/** loading, error and onRetry for a table fed by one useResource. */
export function resourceState(resource: Resource<unknown>): Pick<DataTableProps<unknown>, 'loading' | 'error' | 'onRetry'> {
  return { loading: resource.status === 'loading', error: resource.status === 'error' ? resource.message : null, onRetry: resource.reload };
}

/** A last column of row buttons: no phone label, its header for screen readers only. */
export function actionsColumn<Row>(cell: (row: Row) => ReactNode, header = 'Actions'): Column<Row> {
  return { key: 'actions', header, hideHeader: true, label: null, className: 'row-actions', cell };
}

/** A table with its states; see DataTableProps. */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const { columns, rows, rowKey, rowClassName, empty, loading = false, loadingText, error, onRetry, title, actions, csvName, dense = false } = props;
  const titleId = useId();
  const [sort, setSort] = useState<Sort>(null);
  const shown = sortRows(rows ?? [], columns, sort);
  const canDownload = csvName !== undefined && shown.length > 0 && columns.some((c) => c.csv);

  // asc → desc → the natural order again.
  function toggle(key: string) {
    setSort((s) => (s?.key !== key ? { key, direction: 'ascending' } : s.direction === 'ascending' ? { key, direction: 'descending' } : null));
  }

  return (
    <>
      {(title || actions || canDownload) && (
        <div className="table-head">
          {title && (
            <h2 className="card-title" id={titleId}>
              {title}
            </h2>
          )}
          <div className="table-tools">
            {actions}
            {canDownload && (
              <button type="button" className="secondary small" onClick={() => downloadCsv(`${csvName}-${toDateInput(new Date())}.csv`, columns, shown)}>
                Download CSV
              </button>
            )}
          </div>
        </div>
      )}
      {error && <ErrorNote message={error} onRetry={onRetry} />}
      {loading && rows === undefined && <Loading what={loadingText} />}
      {rows?.length === 0 && <Empty>{empty}</Empty>}
      {shown.length > 0 && (
        <div className="table-wrap">
          <table aria-labelledby={title ? titleId : undefined} className={dense ? 'dense' : undefined}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.key} scope="col" className={c.align === 'right' ? 'num' : undefined} aria-sort={sort?.key === c.key ? sort.direction : undefined}>
                    <HeaderLabel column={c} direction={sort?.key === c.key ? sort.direction : null} onSort={() => toggle(c.key)} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, i) => (
                <tr key={rowKey(row, i)} className={rowClassName?.(row)}>
                  {columns.map((c) => (
                    <td key={c.key} data-label={c.label === undefined ? c.header : (c.label ?? undefined)} className={cellClass(c, row)} data-testid={c.testId}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function HeaderLabel<Row>({ column, direction, onSort }: { column: Column<Row>; direction: 'ascending' | 'descending' | null; onSort(): void }) {
  if (column.hideHeader) return <span className="sr-only">{column.header}</span>;
  if (!column.sortValue) return <>{column.header}</>;
  const mark = direction === 'ascending' ? '↑' : direction === 'descending' ? '↓' : '↕';
  return (
    <button type="button" className={direction ? 'sort-button sorted' : 'sort-button'} onClick={onSort}>
      {column.header}
      <span className="sort-mark" aria-hidden="true">
        {mark}
      </span>
    </button>
  );
}

function cellClass<Row>(column: Column<Row>, row: Row): string | undefined {
  const extra = typeof column.className === 'function' ? column.className(row) : column.className;
  return [column.align === 'right' ? 'num' : '', extra ?? ''].filter(Boolean).join(' ') || undefined;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The rows in the sort's order (a stable sort; rows without a value last), or as given. */
function sortRows<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, sort: Sort): readonly Row[] {
  const value = sort && columns.find((c) => c.key === sort.key)?.sortValue;
  if (!sort || !value) return rows;
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const keyed = rows.map((row) => ({ row, v: value(row) }));
  keyed.sort((a, b) => {
    const aMissing = a.v === null || a.v === undefined || a.v === '';
    const bMissing = b.v === null || b.v === undefined || b.v === '';
    if (aMissing || bMissing) return Number(aMissing) - Number(bMissing);
    if (typeof a.v === 'number' && typeof b.v === 'number') return sign * (a.v - b.v);
    return sign * collator.compare(String(a.v), String(b.v));
  });
  return keyed.map((k) => k.row);
}

/** Saves the rows as a CSV file (with a BOM, so spreadsheets read it as UTF-8). */
function downloadCsv<Row>(fileName: string, columns: ReadonlyArray<Column<Row>>, rows: readonly Row[]) {
  const fields = columns.flatMap((c) => Object.entries(c.csv ?? {}));
  const text = toCsv(
    fields.map(([header]) => header),
    rows.map((row) => fields.map(([, value]) => value(row))),
  );
  saveBlob(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }), fileName);
}
