/**
 * Progress on stderr, subscribed to engine events. A spinner (ora) only when stderr is a
 * terminal; otherwise one plain line per finished invoice, which reads well in a cron log
 * (clig.dev: "If stdout is not an interactive terminal, don't display any animations").
 */
import ora, { type Ora } from 'ora';
import type { EngineEvent } from '../engine/events.js';
import type { Style } from '../report/human.js';
import { safe } from '../report/human.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  interactive: boolean;
  quiet: boolean;
  verbose: boolean;
  style: Style;
  /** How messages name the target (default `Alma`), and its words for statuses (an Exsited cancel is "cancelled"). */
  targetLabel?: string | undefined;
  statusWords?: Record<string, string> | undefined;
}

export interface Progress {
  onEvent(e: EngineEvent): void;
  /** A line of its own (above the spinner, if any). */
  info(line: string): void;
  stop(): void;
}

const STATUS_WORD: Record<string, string> = {
  loaded: 'loaded',
  in_review: 'in review',
  already_loaded: 'already loaded',
  failed: 'FAILED',
  not_started: 'not started',
};

export function createProgress(o: ProgressOptions): Progress {
  let spinner: Ora | undefined;
  let total = 0;
  let done = 0;
  let requests = 0;
  let remaining: number | undefined;
  const write = (line: string): void => {
    if (spinner?.isSpinning) {
      spinner.clear();
      o.stream.write(line + '\n');
      spinner.render();
    } else {
      o.stream.write(line + '\n');
    }
  };
  const spinText = (current?: string): string => {
    const left = remaining !== undefined ? ` · ${remaining.toLocaleString('en-US')} API calls left today` : '';
    return `${done}/${total} invoices · ${requests} requests${left}${current ? ` · ${current}` : ''}`;
  };
  return {
    onEvent(e) {
      // --quiet silences progress, not the reason a run stopped
      if (o.quiet && e.type !== 'stopping') return;
      switch (e.type) {
        case 'start':
          total = e.invoices;
          done = e.alreadyDone;
          if (e.resumed) write(`resuming: ${e.alreadyDone} of ${e.invoices} invoices were finished by an earlier run`);
          if (o.interactive) {
            // discardStdin would put stdin in raw mode and swallow Ctrl-C (ora docs); keep signals working
            spinner = ora({ text: spinText(), stream: o.stream, discardStdin: false }).start();
          }
          break;
        case 'step':
          if (spinner) spinner.text = spinText(`${safe(e.key.vendor)} ${safe(e.key.number)}: ${e.step}${e.detail ? ' ' + e.detail : ''}`);
          break;
        case 'reconcile':
          if (o.verbose || !o.interactive) {
            write(o.style.yellow(`  ${safe(e.key.number)}: ${e.step} answer lost (${safe(e.reason)}); asking ${o.targetLabel ?? 'Alma'} what exists before sending again`));
          }
          break;
        case 'settle':
          if (o.verbose || !o.interactive) {
            const seen = e.lagMs !== undefined ? `showed invoice ${safe(e.key.number)} after ${(e.lagMs / 1000).toFixed(1)} s` : `did not show invoice ${safe(e.key.number)} within ${e.windowMs / 1000} s`;
            write(o.style.dim(`${o.targetLabel ?? 'Alma'}'s search ${seen}; a lost answer is settled by looking again for ${e.windowMs / 1000} s`));
          }
          break;
        case 'invoice': {
          done = Math.max(done, e.done);
          const r = e.result;
          if (r.status === 'already_loaded' && e.done === 0 && !o.verbose) break; // listed in the summary
          const word = o.statusWords?.[r.status] ?? STATUS_WORD[r.status] ?? r.status;
          const colour = r.status === 'failed' || r.status === 'not_started' ? o.style.red : r.status === 'in_review' ? o.style.yellow : o.style.green;
          const extra = r.error
            ? ` — ${r.error.step}: ${safe(r.error.code)} ${safe(r.error.message)}${r.error.tracking_id ? ` (tracking id ${r.error.tracking_id})` : ''}`
            : r.id
              ? ` (id ${r.id}${r.workflowStatus ? `, ${r.workflowStatus}` : ''})`
              : '';
          if (!o.interactive || o.verbose || r.status === 'failed') {
            write(`[${e.done}/${e.total}] ${safe(r.key.vendor)} ${safe(r.key.number)}: ${colour(word)}${extra}`);
          }
          if (spinner) spinner.text = spinText();
          break;
        }
        case 'stopping':
          // Ctrl-C is announced by the CLI the moment it arrives; say only the other reasons here.
          if (e.reason !== 'interrupted') write(o.style.yellow(e.message));
          break;
        case 'target': {
          const t = e.event;
          if (t.type === 'request') {
            requests++;
            if (spinner) spinner.text = spinText();
          } else if (t.type === 'remaining') {
            remaining = t.remaining;
          } else if (t.type === 'retry' && o.verbose) {
            write(o.style.dim(`  retry ${t.method} ${t.path} in ${Math.round(t.delayMs)} ms (attempt ${t.attempt}): ${safe(t.reason)}`));
          } else if (t.type === 'throttle' && (o.verbose || !o.interactive)) {
            write(o.style.dim(`  pace now ${t.rate.toFixed(1)} requests/s: ${safe(t.reason)}`));
          }
          break;
        }
      }
    },
    info(line) {
      if (!o.quiet) write(line);
    },
    stop() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}
