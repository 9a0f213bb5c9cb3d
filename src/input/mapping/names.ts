/**
 * Header names: how a vendor's header is compared with a profile (case-, space- and
 * underscore-insensitive, so `Invoice No`, `INVOICE_NO` and `invoice no` are one name), and the
 * names `mapping init` recognises when it guesses a starting profile.
 */
import { CANONICAL_COLUMNS, type CanonicalColumn } from '../../domain/columns.js';

/**
 * The comparable form of a header or value-map key: Unicode NFC (a decomposed "ä" from a Mac
 * equals the composed one from Windows), lower case, without whitespace (including the
 * no-break spaces spreadsheets put in headers) or underscores.
 */
export function headerKey(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/[\s_\u00a0\u202f]+/g, '');
}

/**
 * The comparable form of a cell value in a value map: trimmed, lower case, inner runs of
 * whitespace as one space. Vendors are inconsistent about case and spacing in fund names; they
 * are not about the words.
 */
export function valueKey(value: string): string {
  return value.normalize('NFC').trim().toLowerCase().replace(/[\s\u00a0\u202f]+/g, ' ');
}

const CANONICAL_BY_KEY = new Map<string, CanonicalColumn>(CANONICAL_COLUMNS.map((c) => [headerKey(c), c]));

/** The canonical column whose name this header is, written any way (`Invoice Number`). */
export const canonicalByHeader = (header: string): CanonicalColumn | undefined => CANONICAL_BY_KEY.get(headerKey(header));

/**
 * Names vendors use for Alma's canonical columns, in English, German, French and Spanish
 * spreadsheet and portal exports, compared as `headerKey`s. Used only to guess: `mapping init`
 * marks every match as a guess for a person to check. (The other targets' columns are guessed
 * only from their exact names: a vendor's `unitPrice` is Alma's `price` first.)
 */
const SYNONYMS: Partial<Record<CanonicalColumn, readonly string[]>> = {
  invoice_number: ['invoice', 'invoice no', 'invoice no.', 'invoice #', 'invoice nr', 'invoiceid', 'invoice id', 'inv no', 'inv #', 'invoice num', 'rechnungsnummer', 'rechnungsnr', 'rechnungsnr.', 're-nr.', 're-nr', 'rechnung', 'numéro de facture', 'n° facture', 'no facture', 'facture', 'número de factura', 'factura', 'invoicenumber', 'invoiceno', 'number'],
  invoice_date: ['invoice date', 'inv date', 'date', 'issue date', 'issued', 'issuedate', 'billing date', 'rechnungsdatum', 're-datum', 'datum', 'date de facture', 'date facture', 'fecha', 'fecha factura'],
  vendor: ['vendor', 'vendor code', 'supplier', 'supplier code', 'lieferant', 'lieferantennummer', 'fournisseur', 'proveedor'],
  vendor_account: ['account', 'vendor account', 'account code', 'billing account', 'customer account', 'konto', 'kundenkonto', 'compte'],
  total_amount: ['total', 'invoice total', 'total amount', 'amount due', 'grand total', 'grandtotal', 'invoice amount', 'gross', 'gesamtbetrag', 'rechnungsbetrag', 'endbetrag', 'summe', 'montant total', 'total facture', 'importe total'],
  currency: ['currency', 'curr', 'currency code', 'ccy', 'währung', 'waehrung', 'devise', 'monnaie', 'moneda'],
  invoice_due_date: ['due date', 'due', 'payment due', 'fällig am', 'fälligkeit', 'fällig', 'zahlbar bis', 'échéance', 'date d\'échéance', 'vencimiento'],
  payment_method: ['payment method', 'payment', 'payment type', 'zahlungsart', 'zahlweise', 'mode de paiement', 'forma de pago'],
  reference_number: ['reference', 'reference number', 'ref', 'ref no', 'your reference', 'ihr zeichen', 'referenz', 'référence'],
  owner: ['owner', 'library', 'bibliothek', 'bibliothèque'],
  vat_type: ['vat type', 'tax type'],
  vat_percentage: ['vat %', 'vat percent', 'vat rate', 'tax rate', 'mwst %', 'mwst-satz', 'ust-satz', 'taux tva'],
  vat_amount: ['vat', 'vat amount', 'tax', 'tax amount', 'mwst', 'mwst-betrag', 'ust', 'umsatzsteuer', 'tva', 'montant tva', 'iva'],
  vat_code: ['vat code', 'tax code', 'steuerschlüssel'],
  vat_per_invoice_line: [],
  expended_from_fund: [],
  report_tax: [],
  use_pro_rata: ['pro rata'],
  shipment: ['shipping', 'shipment', 'freight', 'postage', 'delivery', 'carriage', 'shipping charge', 'postage & handling', 'versand', 'versandkosten', 'porto', 'fracht', 'frais de port', 'envío', 'gastos de envío'],
  overhead: ['overhead', 'service charge', 'handling', 'handling fee', 'processing fee', 'bearbeitungsgebühr', 'gebühr', 'gebühren', 'frais de traitement'],
  insurance: ['insurance', 'versicherung', 'assurance', 'seguro'],
  discount: ['discount', 'credit', 'rebate', 'rabatt', 'nachlass', 'skonto', 'remise', 'descuento'],
  prepaid: ['prepaid'],
  internal_copy: [],
  export_to_erp: [],
  invoice_note: ['invoice note', 'invoice notes', 'invoice comment', 'rechnungsnotiz', 'hinweis'],
  // Exsited and Alguna columns (issue #6): no guesses yet; their canonical names still match.
  line_number: ['line', 'line no', 'line no.', 'line #', 'item', 'item no', 'itemno', 'item #', 'seq', 'pos', 'pos.', 'position', 'positionsnummer', 'ligne', 'linea', 'línea'],
  line_type: ['line type', 'item type', 'positionsart', 'type'],
  po_line: ['po line', 'pol', 'po line number', 'order line', 'order #', 'order no', 'order number', 'order', 'order ref', 'poline', 'your order', 'customer order', 'purchase order', 'po', 'po #', 'po number', 'bestellnummer', 'bestellnr', 'bestellnr.', 'ihre bestellung', 'bestellung', 'auftragsnummer', 'commande', 'n° commande', 'pedido'],
  price: ['price', 'unit price', 'unitprice', 'list price', 'net price', 'amount', 'preis', 'einzelpreis', 'stückpreis', 'nettopreis', 'prix', 'prix unitaire', 'precio'],
  quantity: ['quantity', 'qty', 'copies', 'qty.', 'count', 'menge', 'anzahl', 'stück', 'exemplare', 'quantité', 'cantidad'],
  price_note: ['price note'],
  line_note: ['note', 'notes', 'line note', 'comment', 'comments', 'remark', 'remarks', 'memo', 'bemerkung', 'bemerkungen', 'anmerkung', 'kommentar', 'remarque', 'nota'],
  subscription_from_date: ['from', 'start', 'period start', 'period from', 'start date', 'subscription start', 'coverage start', 'von', 'bezugszeitraum von', 'laufzeit von', 'gültig ab', 'début', 'desde'],
  subscription_to_date: ['to', 'end', 'period end', 'period to', 'end date', 'subscription end', 'coverage end', 'bis', 'bezugszeitraum bis', 'laufzeit bis', 'gültig bis', 'fin', 'hasta'],
  additional_info: ['additional info', 'info'],
  fully_invoiced: ['fully invoiced'],
  release_remaining_encumbrance: [],
  check_subscription_date_overlap: [],
  reporting_code: ['reporting code'],
  secondary_reporting_code: [],
  tertiary_reporting_code: [],
  line_vat_code: ['line vat code'],
  line_vat_percentage: ['line vat %'],
  line_vat_amount: ['line vat', 'line tax'],
  line_vat_note: [],
  fund_code: ['fund', 'fund code', 'fund name', 'budget', 'budget code', 'etat', 'etatkennung', 'kostenstelle', 'haushaltsstelle', 'fonds', 'fondo', 'ledger', 'allocation'],
  fund_percent: ['fund %', 'fund percent', 'percent', 'pct', 'share', 'share %', 'split %', 'anteil', 'anteil %', 'anteil in %', 'prozent', '%', 'pourcentage', 'porcentaje'],
  fund_amount: ['fund amount', 'allocated amount', 'split amount', 'anteil betrag', 'etatbetrag'],
};

const SYNONYM_BY_KEY = new Map<string, CanonicalColumn>();
for (const column of CANONICAL_COLUMNS) {
  for (const name of [column, ...(SYNONYMS[column] ?? [])]) {
    const key = headerKey(name);
    // The first column to claim a name keeps it: the list above is ordered invoice → line → fund.
    if (!SYNONYM_BY_KEY.has(key)) SYNONYM_BY_KEY.set(key, column);
  }
}

/** A guess for a vendor header (or JSON key): the canonical column it probably is. */
export function guessColumn(header: string): CanonicalColumn | undefined {
  const key = headerKey(header);
  if (key === '') return undefined;
  const exact = CANONICAL_BY_KEY.get(key);
  if (exact !== undefined && SYNONYMS[exact] !== undefined) return exact;
  const found = SYNONYM_BY_KEY.get(key) ?? exact;
  if (found !== undefined) return found;
  // "Invoice No." / "Rechnungsnr:" / "Fund (name)": drop punctuation and try again.
  return bareSynonym(key.replace(/[^\p{L}\p{N}%#]+/gu, ''));
}

let BARE: Map<string, CanonicalColumn> | undefined;
function bareSynonym(bare: string): CanonicalColumn | undefined {
  if (BARE === undefined) {
    BARE = new Map();
    for (const [key, column] of SYNONYM_BY_KEY) {
      const b = key.replace(/[^\p{L}\p{N}%#]+/gu, '');
      if (b !== '' && !BARE.has(b)) BARE.set(b, column);
    }
  }
  return BARE.get(bare);
}

/** Levenshtein distance, for "did you mean" in profile messages. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest of `options` to `word` when it is close enough to be a likely typo. */
export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
