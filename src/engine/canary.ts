/**
 * The canary: the first invoice a run writes is read back once the lines that carry every field
 * its lines use are added (Target.canaryChildren; with a uniform file, the first line), and
 * before any other invoice is created or given lines. What Alma stored is compared with what was
 * sent (targets/alma/compare.ts); a difference stops the run, so a field Alma silently ignores (a
 * note under a key it does not know, docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts) is lost on one invoice,
 * not on five hundred. Once the canary holds, the others go at full speed.
 *
 * Which invoice: the first to reach its first data write in this run (a create, or a line of an
 * invoice an earlier run created), or one an earlier run stopped on because its read-back
 * differed (it is read back again before it is processed). Invoices whose data the journal says
 * is complete never wait. If the canary fails for another reason (Alma refuses a line) the next
 * invoice to write becomes the canary.
 */
import type { InvoiceKey } from '../domain/model.js';
import { keyString } from '../domain/model.js';
import type { FieldDifference } from '../targets/target.js';
import { maskMessage } from '../common/shown-secrets.js';

export interface CanaryVerdict {
  key: InvoiceKey;
  id: string;
  status: 'passed' | 'failed';
  differences: FieldDifference[];
  /**
   * What the sent bodies were compared with: `answers`, the target's answers to the canary's own
   * create and lines, when they showed every field as sent (Target.answerDifferences); else
   * `read_back`, the invoice read back.
   */
  compared: 'answers' | 'read_back';
}

export type GateAnswer = 'canary' | 'go' | 'failed';

export class CanaryGate {
  #state: 'open' | 'claimed' | 'passed' | 'failed';
  #holder: string | undefined;
  #waiters: (() => void)[] = [];
  verdict: CanaryVerdict | undefined;

  /** `enabled` false (`--no-canary`, or a target that cannot read an invoice back): every invoice goes at once. */
  constructor(enabled: boolean) {
    this.#state = enabled ? 'open' : 'passed';
  }

  get enabled(): boolean {
    return this.#state !== 'passed' || this.verdict !== undefined;
  }

  /** Before an invoice's first data write: `canary` (it is the one), `go`, or `failed` (the run stops). */
  async enter(key: InvoiceKey): Promise<GateAnswer> {
    const me = keyString(key);
    for (;;) {
      if (this.#state === 'passed') return 'go';
      if (this.#state === 'failed') return 'failed';
      if (this.#state === 'open') {
        this.#state = 'claimed';
        this.#holder = me;
        return 'canary';
      }
      if (this.#holder === me) return 'canary';
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * The invoice an earlier run stopped on holds the gate from the start: with look-ups answered
   * before the first write, another invoice could reach its create before this one reaches its
   * read-back. The engine starts it first, so no slot waits on a holder that never started.
   */
  reserve(key: InvoiceKey): void {
    if (this.#state !== 'open') return;
    this.#state = 'claimed';
    this.#holder = keyString(key);
  }

  isCanary(key: InvoiceKey): boolean {
    return this.#state === 'claimed' && this.#holder === keyString(key);
  }

  settle(verdict: CanaryVerdict): void {
    this.verdict = verdict;
    this.#state = verdict.status;
    this.#wake();
  }

  /** The invoice ended without a verdict (refused, interrupted): the next one to write is the canary. */
  release(key: InvoiceKey): void {
    if (this.#state !== 'claimed' || this.#holder !== keyString(key)) return;
    this.#state = 'open';
    this.#holder = undefined;
    this.#wake();
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

/** Shown values, shortened: a message stays one readable line. */
const clip = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/** What differs, in one clause: `note: sent "…", stored nothing (and 2 more: …)`. */
export function differenceText(verdict: CanaryVerdict): string {
  const [first, ...rest] = verdict.differences;
  if (first === undefined) return 'nothing differs';
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((d) => d.field).join(', ')})` : '';
  // Shown as words: the run's secrets masked (common/shown-secrets.ts), never in the comparison itself.
  return maskMessage(`${first.field}: sent ${clip(first.sent)}, stored ${clip(first.stored)}${more}`);
}

/** The one message a failed canary gives: the invoice, the field, what was sent, what was stored, what to do. */
export function canaryMessage(verdict: CanaryVerdict, label: string, lines?: { added: number; total: number }): string {
  // None added: a canary judged before its first child (Exsited's note), which comes once it reads back as sent.
  const held =
    lines === undefined || lines.added >= lines.total
      ? 'its lines'
      : lines.added === 0
        ? 'nothing added under it yet (that is done once it reads back as sent)'
        : `${lines.added} of its ${lines.total} lines (the rest are added when the run is resumed)`;
  return (
    `the first invoice did not read back as sent — ${verdict.key.vendor} ${verdict.key.number} (id ${verdict.id}) ${differenceText(verdict)}. ` +
    (verdict.differences[0]?.advice !== undefined ? `${maskMessage(verdict.differences[0].advice)}. ` : '') +
    `No other invoice was sent: every one would be stored the same way. This one is in ${label} with ${held}, not processed. ` +
    `Check it and the field in ${label}; once the cause is fixed, or if the difference does not matter, run the same command again (--no-canary skips this check)`
  );
}
