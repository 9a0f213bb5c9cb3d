/**
 * Exsited paths, configurable: the documents disagree (other-targets.md §1.1 — `/api/{version}/…`
 * with v3 hyphenated resources in the SDKs, v2 in some docs, and v4 printed with underscores,
 * whose wire form is unknown). The seed (seeds/003) gives the resource paths without a prefix;
 * the defaults follow the PHP SDK's v3 (`"api/{$apiVersion}/" . $apiResource`, sdk-config.json).
 * `{v}` is the API version, `{po}` a purchase order id, `{id}` a purchase invoice id.
 */
export interface ExsitedPaths {
  /** OAuth2 token endpoint; pinned to v1 by every SDK (`TOKEN_RENEW_URL = "api/v1/oauth2/token"`). */
  token: string;
  /** seeds/003 "Create Purchase Invoice for a Purchase Order"; GET lists that PO's invoices (Dart `getPurchaseOrderPurchaseInvoices`). */
  purchaseOrderInvoices: string;
  purchaseInvoice: string;
  /** seeds/003 "Create Purchase Invoice Note" (multipart); GET lists the notes (KB 06: PIs "manage their notes and files"). */
  notes: string;
  /** seeds/003 cancel and reactivate (202 + event_uuid). The Python v3 SDK spells it `/reactive`; PHP and the seed `/reactivate`. */
  cancel: string;
  reactivate: string;
}

export const DEFAULT_EXSITED_VERSION = 'v3';

export const DEFAULT_EXSITED_PATHS: ExsitedPaths = {
  token: '/api/v1/oauth2/token',
  purchaseOrderInvoices: '/api/{v}/purchase-orders/{po}/purchase-invoices',
  purchaseInvoice: '/api/{v}/purchase-invoices/{id}',
  notes: '/api/{v}/purchase-invoices/{id}/notes',
  cancel: '/api/{v}/purchase-invoices/{id}/cancel',
  reactivate: '/api/{v}/purchase-invoices/{id}/reactivate',
};

/** Fills a template; every value is one path segment, so it is percent-encoded. */
export function fillPath(template: string, values: { v: string; po?: string | undefined; id?: string | undefined }): string {
  return template.replace(/\{(v|po|id)\}/g, (_, k: 'v' | 'po' | 'id') => {
    const value = values[k];
    if (value === undefined) throw new Error(`internal: path ${template} needs {${k}}`);
    return k === 'v' ? value : encodeURIComponent(value);
  });
}
