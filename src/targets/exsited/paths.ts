/**
 * Exsited paths, configurable: the documents disagree
 * (https://developer.exsited.com/exsited-api-introduction — `/api/{version}/…` with v3 hyphenated
 * resources in the SDKs, v2 in some docs, and v4 printed with underscores, whose wire form is
 * unknown). The purchase-invoice pages
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation) give the resource paths
 * without a prefix; the defaults follow the PHP SDK's v3 (`"api/{$apiVersion}/" . $apiResource`,
 * sdk-config.json). `{v}` is the API version, `{po}` a purchase order id, `{id}` a purchase invoice
 * id.
 */
export interface ExsitedPaths {
  /** OAuth2 token endpoint; pinned to v1 by every SDK (`TOKEN_RENEW_URL = "api/v1/oauth2/token"`). */
  token: string;
  /**
   * "Create Purchase Invoice for a Purchase Order"; GET lists that PO's invoices (Dart
   * `getPurchaseOrderPurchaseInvoices`).
   */
  purchaseOrderInvoices: string;
  /**
   * "Retrieve Purchase Invoice List" (`GET /api/v3/purchase-invoices`, limit/offset,
   * https://developer.exsited.com/purchase-invoice-get-api-documentation): the look-up's fallback
   * when an instance does not answer the purchase order's own list (target.ts).
   */
  purchaseInvoices: string;
  purchaseInvoice: string;
  /**
   * "Create Purchase Invoice Note" (multipart); GET lists the notes
   * (https://github.com/shuvo-webalive/exsited-docs-kb article 06: PIs "manage their notes and
   * files").
   */
  notes: string;
  /**
   * "Cancel" and "Reactivate Purchase Invoice" (202 + event_uuid). The Python v3 SDK spells it
   * `/reactive`; PHP and the API pages `/reactivate`.
   */
  cancel: string;
  reactivate: string;
}

export const DEFAULT_EXSITED_VERSION = 'v3';

export const DEFAULT_EXSITED_PATHS: ExsitedPaths = {
  token: '/api/v1/oauth2/token',
  purchaseOrderInvoices: '/api/{v}/purchase-orders/{po}/purchase-invoices',
  purchaseInvoices: '/api/{v}/purchase-invoices',
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
