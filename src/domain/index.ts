export * from './money.js';
export * from './currencies.js';
export { CellError, COLUMN_KIND, VAT_TYPES, parseCell, type CellKind, type CellValue, type KindValue, type VatType } from './cells.js';
export * from './schema.js';
export { InvoiceGrouper, sortProblems, type GroupResult } from './group.js';
export { checkInvoice, buildInvoice, DEFAULT_PAYMENT_METHOD } from './rules.js';
export type { DraftInvoice, DraftLine, DraftFund, Field } from './draft.js';
export { validateBatch, validateRecords } from './validate.js';
