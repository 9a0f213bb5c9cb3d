import { describe, expect, it } from 'vitest';
import { FaultEngine, mulberry32 } from '../../src/sandbox/faults.js';
import type { FaultKind, SandboxHandle } from '../../src/sandbox/index.js';
import { call, createInvoice, errorCode, invoiceBody, lineBody, start, type Answer } from './helpers.js';

/** The status, or 'lost' when the connection ended without an answer. */
async function outcome(p: Promise<Answer>): Promise<number | 'lost'> {
  try {
    return (await p).status;
  } catch {
    return 'lost';
  }
}

const created = (s: SandboxHandle, number: string): number => s.state().counters.created['GOBI']?.[number] ?? 0;

describe('fault kinds on create (applied or not, as /_sandbox/state tells)', () => {
  const cases: Array<[FaultKind, number | 'lost', boolean]> = [
    ['error_before', 500, false],
    ['drop_before', 'lost', false],
    ['lost_after', 'lost', true],
    ['error_after', 500, true],
    ['timeout', 'lost', true],
    ['throttle', 429, false],
    ['business', 400, false],
  ];

  it.each(cases)('%s → %s, applied: %s', async (kind, expected, applied) => {
    // The sandbox itself ends a held (`timeout`) connection after 100 ms without an answer, so the
    // client may wait as long as a busy machine needs: 'lost' is never a slow answer given up on.
    const s = await start({ faults: [{ step: 'create', kind }], timeoutHoldMs: 100 });
    const got = await outcome(call(s, 'POST', '/acq/invoices', { body: invoiceBody('F-1'), timeoutMs: 20_000 }));
    expect(got).toBe(expected);
    expect(created(s, 'F-1')).toBe(applied ? 1 : 0);
    expect(s.state().invoices.filter((i) => i.number === 'F-1')).toHaveLength(applied ? 1 : 0);
    expect(s.state().counters.faults[kind]).toBe(1);
    // The rule fired once (times defaults to 1): the next create goes through.
    expect((await call(s, 'POST', '/acq/invoices', { body: invoiceBody('F-2') })).status).toBe(200);
  });

  it('answers 500 in the wrapped 5xx shape with a single error object', async () => {
    const s = await start({ faults: [{ step: 'create', kind: 'error_before' }] });
    const r = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('F-3') });
    expect(r.status).toBe(500);
    const e = r.json.web_service_result.errorList.error;
    expect(Array.isArray(e)).toBe(false);
    expect(e.errorCode).toBe('INTERNAL_SERVER_ERROR');
    expect(e.trackingId).toMatch(/^E01-/);
    expect(r.json.web_service_result.errorsExist).toBe(true);
  });

  it('throttle faults answer sample 06 and are counted as injected 429s', async () => {
    const s = await start({ faults: [{ step: 'read', kind: 'throttle' }] });
    const r = await call(s, 'GET', '/acq/vendors/GOBI');
    expect([r.status, errorCode(r)]).toEqual([429, 'PER_SECOND_THRESHOLD']);
    expect(s.state().counters.throttled).toEqual({ total: 1, perSecond: 0, daily: 0, injected: 1 });
  });
});

describe('faults on lines and processing', () => {
  it('lost_after on a line: the line exists although the answer was lost', async () => {
    const s = await start({ faults: [{ step: 'line', kind: 'lost_after' }] });
    const id = await createInvoice(s, 'FL-1');
    expect(await outcome(call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() }))).toBe('lost');
    expect(s.state().invoices.find((i) => i.id === id)?.lines).toHaveLength(1);
    expect(s.state().counters.linePosts[id]).toEqual({ '1': 1 });
  });

  it('a business error is permanent for that invoice (line: 60254), others are unaffected', async () => {
    const s = await start({ faults: [{ step: 'line', kind: 'business', match: 'FL-2' }] });
    const id = await createInvoice(s, 'FL-2');
    const other = await createInvoice(s, 'FL-3');
    for (let i = 0; i < 3; i++) {
      const r = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
      expect([r.status, errorCode(r)]).toEqual([400, '60254']);
    }
    expect((await call(s, 'POST', `/acq/invoices/${other}/lines`, { body: lineBody() })).status).toBe(200);
    expect(s.state().invoices.find((i) => i.id === id)?.lines).toEqual([]);
  });

  it('business on create keeps failing for that vendor and number (60237)', async () => {
    const s = await start({ faults: [{ step: 'create', kind: 'business' }] });
    expect(errorCode(await call(s, 'POST', '/acq/invoices', { body: invoiceBody('FB-1') }))).toBe('60237');
    expect(errorCode(await call(s, 'POST', '/acq/invoices', { body: invoiceBody('FB-1') }))).toBe('60237');
    expect((await call(s, 'POST', '/acq/invoices', { body: invoiceBody('FB-2') })).status).toBe(200);
    expect(created(s, 'FB-1')).toBe(0);
  });

  it('process: business answers 60260 and nothing starts; error_after starts it anyway', async () => {
    const s = await start({
      faults: [
        { step: 'process', kind: 'business', match: 'FP-1' },
        { step: 'process', kind: 'error_after', match: 'FP-2' },
      ],
    });
    const a = await createInvoice(s, 'FP-1');
    const b = await createInvoice(s, 'FP-2');
    const ra = await call(s, 'POST', `/acq/invoices/${a}?op=process_invoice`, { body: {} });
    expect([ra.status, errorCode(ra)]).toEqual([400, '60260']);
    expect((await call(s, 'POST', `/acq/invoices/${b}?op=process_invoice`, { body: {} })).status).toBe(500);
    const st = s.state();
    expect(st.counters.processCount).toEqual({ [b]: 1 });
    expect(st.invoices.find((i) => i.id === a)?.processing).toBe('not_started');
    expect(st.invoices.find((i) => i.id === b)?.processing).toBe('settled');
  });
});

describe('rule targeting', () => {
  it('match, after and times select which requests fail', async () => {
    const s = await start();
    const id = await createInvoice(s, 'M-2');
    await call(s, 'POST', '/_sandbox/faults', { body: { faults: [{ step: 'poll', kind: 'error_before', match: 'M-2', after: 1, times: 2 }] } });
    const seed = s.state().invoices[0]?.id ?? '';
    const statuses: number[] = [];
    statuses.push((await call(s, 'GET', `/acq/invoices/${seed}`)).status);
    for (let i = 0; i < 4; i++) statuses.push((await call(s, 'GET', `/acq/invoices/${id}`)).status);
    expect(statuses).toEqual([200, 200, 500, 500, 200]);
  });

  it('a lookup is about the invoice number in q', async () => {
    const s = await start({ faults: [{ step: 'lookup', kind: 'error_before', match: 'Q-1' }] });
    expect((await call(s, 'GET', '/acq/invoices?q=invoice_number~Q-2')).status).toBe(200);
    expect((await call(s, 'GET', '/acq/invoices?q=invoice_number~Q-1')).status).toBe(500);
    expect((await call(s, 'GET', '/acq/invoices?q=invoice_number~Q-1')).status).toBe(200);
  });

  it('the admin API replaces the fault configuration and refuses a bad one', async () => {
    const s = await start({ faults: [{ step: 'read', kind: 'error_before', times: 100 }] });
    expect((await call(s, 'GET', '/acq/vendors/GOBI')).status).toBe(500);
    expect((await call(s, 'POST', '/_sandbox/faults', { body: {} })).status).toBe(200);
    expect((await call(s, 'GET', '/acq/vendors/GOBI')).status).toBe(200);
    const bad = await call(s, 'POST', '/_sandbox/faults', { body: { faults: [{ step: 'nope', kind: 'error_before' }] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/step/);
  });
});

describe('seeded random faults', () => {
  async function run(randomSeed: number): Promise<Array<number | 'lost'>> {
    const s = await start({ faultRate: 0.4, randomSeed, faultKinds: ['error_before', 'drop_before', 'lost_after', 'error_after', 'throttle', 'business'] });
    const seq: Array<number | 'lost'> = [];
    for (let i = 0; i < 30; i++) seq.push(await outcome(call(s, 'GET', '/acq/vendors/GOBI')));
    for (let i = 0; i < 10; i++) seq.push(await outcome(call(s, 'POST', '/acq/invoices', { body: invoiceBody(`R-${i}`) })));
    return seq;
  }

  it('the same seed and request sequence give the same faults; another seed does not', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Random business faults only hit writes: the 30 reads never see a 400.
    expect(a.slice(0, 30)).not.toContain(400);
    expect(a.filter((x) => x !== 200).length).toBeGreaterThan(5);
  });

  it('FaultEngine and mulberry32 are deterministic', () => {
    const r1 = mulberry32(1);
    const r2 = mulberry32(1);
    expect([r1(), r1(), r1()]).toEqual([r2(), r2(), r2()]);
    const e = new FaultEngine({ faultRate: 1, faultKinds: ['business'] });
    expect(e.decide('read', {})).toBeUndefined();
    expect(e.decide('line', { invoiceKey: '1' })).toBe('business');
    e.configure({});
    expect(e.decide('line', { invoiceKey: '1' })).toBeUndefined();
  });
});

describe('held connections', () => {
  it('close() ends a connection held by a timeout fault at once', async () => {
    // Held for an hour, and the client gives up after 20 s: only close() can end the call sooner.
    // How the call ended (the server closed it, not the client's timeout) is the assertion, not
    // how long close() took, which a busy machine stretches.
    const s = await start({ faults: [{ step: 'read', kind: 'timeout' }], timeoutHoldMs: 3_600_000 });
    const pending = call(s, 'GET', '/acq/vendors/GOBI', { timeoutMs: 20_000 }).then(
      () => 'answered',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    // Closed once the sandbox holds the request, however late: closed before, the call would fail to
    // connect and say 'lost' without testing anything.
    while (s.state().counters.faults.timeout === 0) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    expect(await pending).toBe('SocketError: other side closed');
  });
});
