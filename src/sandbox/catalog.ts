/**
 * Read-only look-ups over the seed: vendors, funds, PO lines, code tables and their descriptions.
 */
import type { Seed } from './seed.js';

export type SeedVendor = Seed['vendors'][number];
export type SeedFund = Seed['funds'][number];
export type SeedPoLine = Seed['po_lines'][number];
export type CodeRow = Seed['code_tables'][string]['rows'][number];

export class Catalog {
  readonly vendors: Map<string, SeedVendor>;
  readonly funds: Map<string, SeedFund>;
  readonly poLines: Map<string, SeedPoLine>;
  readonly vatCodes: Map<string, Seed['vat_codes'][number]>;
  /** Owner codes: the institution and its libraries (OAS `owner` parameter). */
  readonly owners: Map<string, string>;

  constructor(readonly seed: Seed) {
    this.vendors = new Map(seed.vendors.map((v) => [v.code, v]));
    this.funds = new Map(seed.funds.map((f) => [f.code, f]));
    this.poLines = new Map(seed.po_lines.map((p) => [p.number, p]));
    this.vatCodes = new Map(seed.vat_codes.map((v) => [v.code, v]));
    this.owners = new Map([
      [seed.institution.code, seed.institution.name],
      ...seed.libraries.map((l): [string, string] => [l.code, l.name]),
    ]);
  }

  get institution(): Seed['institution'] {
    return this.seed.institution;
  }

  table(name: string): Seed['code_tables'][string] | undefined {
    return Object.hasOwn(this.seed.code_tables, name) ? this.seed.code_tables[name] : undefined;
  }

  /** The enabled row with this code, if the table has it. */
  row(table: string, code: string): CodeRow | undefined {
    return this.table(table)?.rows.find((r) => r.code === code && r.enabled);
  }

  /** The table's default row (or its first enabled one). */
  defaultCode(table: string): string | undefined {
    const rows = this.table(table)?.rows.filter((r) => r.enabled) ?? [];
    return (rows.find((r) => r.default) ?? rows[0])?.code;
  }

  /** Description for a `{value, desc}` wrapper; null like Alma when there is none (sample 01, docs/alma.md#what-the-samples-show). */
  desc(table: string, code: string): string | null {
    if (code === '') return null;
    return this.table(table)?.rows.find((r) => r.code === code)?.description ?? null;
  }

  /** PO line types ending in _CO (continuous) or _SO (standing order) are continuous. */
  isContinuous(pol: SeedPoLine): boolean {
    return /_(CO|SO)$/.test(pol.type);
  }
}
