/**
 * Workbooks as a person types them, for tests: written with exceljs (the library the reader
 * uses), from CSV text or from rows of typed values.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';

const DATE_COLUMNS = new Set(['invoice_date', 'invoice_due_date', 'subscription_from_date', 'subscription_to_date']);
const NUMBER_COLUMNS = new Set(['total_amount', 'shipment', 'overhead', 'insurance', 'discount', 'price', 'quantity', 'line_number', 'fund_percent', 'fund_amount', 'vat_amount', 'vat_percentage']);

export type CellInput = string | number | boolean | Date | null | ExcelJS.CellFormulaValue | { error: string };

export interface SheetInput {
  name: string;
  rows: CellInput[][];
  /** Number formats by 1-based column. */
  formats?: Record<number, string>;
  /** A sheet Excel shows no tab for. */
  state?: 'hidden' | 'veryHidden';
  /** Rows (1-based) Excel does not show, as Hide or a filter leaves them. */
  hiddenRows?: number[];
  /** Ranges merged into one cell (`D2:D4`). */
  merges?: string[];
}

export async function writeWorkbook(path: string, sheets: SheetInput[], opts: { date1904?: boolean } = {}): Promise<void> {
  const wb = new ExcelJS.Workbook();
  if (opts.date1904 === true) wb.properties.date1904 = true;
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name, s.state !== undefined ? { state: s.state } : {});
    for (const [i, values] of s.rows.entries()) {
      const row = ws.addRow(values as ExcelJS.CellValue[]);
      if (i === 0) continue;
      for (const [col, fmt] of Object.entries(s.formats ?? {})) row.getCell(Number(col)).numFmt = fmt;
    }
    for (const n of s.hiddenRows ?? []) ws.getRow(n).hidden = true;
    for (const range of s.merges ?? []) ws.mergeCells(range);
  }
  await wb.xlsx.writeFile(path);
}

/**
 * A canonical CSV batch as a person would have typed it in Excel: dates as date cells shown
 * `DD.MM.YYYY`, amounts and counts as numbers (binary floats), a numeric invoice number as a
 * number, everything else text; `extra` sheets around it.
 */
export async function workbookFromCsv(path: string, csv: string, opts: { before?: SheetInput[]; after?: SheetInput[]; sheet?: string } = {}): Promise<void> {
  const [header, ...rows] = parse(csv) as string[][];
  const typed: CellInput[][] = rows.map((r) =>
    r.map((v, i) => {
      const column = header![i]!;
      if (v === '') return null;
      if (DATE_COLUMNS.has(column)) return new Date(`${v}T00:00:00Z`);
      if (NUMBER_COLUMNS.has(column)) return Number(v);
      if (column === 'invoice_number' && /^[1-9]\d*$/.test(v)) return Number(v);
      return v;
    }),
  );
  const formats: Record<number, string> = {};
  header!.forEach((c, i) => {
    if (DATE_COLUMNS.has(c)) formats[i + 1] = 'dd.mm.yyyy';
    else if (NUMBER_COLUMNS.has(c) && !['quantity', 'line_number'].includes(c)) formats[i + 1] = '#,##0.00';
  });
  await writeWorkbook(path, [...(opts.before ?? []), { name: opts.sheet ?? 'Invoices', rows: [header!, ...typed], formats }, ...(opts.after ?? [])]);
}

/** Excel's owner file: a length byte, the name in a 53-byte space-padded field, the length as 2 bytes, the name in UTF-16LE; 165 bytes. */
export function excelOwnerFile(name: string): Buffer {
  const narrow = Buffer.from(name, 'latin1');
  const head = Buffer.concat([Buffer.from([name.length]), narrow, Buffer.alloc(53 - narrow.length, 0x20), Buffer.from([name.length, 0]), Buffer.from(name, 'utf16le')]);
  return Buffer.concat([head, Buffer.alloc(165 - head.length, 0x20)]);
}
