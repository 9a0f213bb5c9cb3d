// Preloaded into the CLI (NODE_OPTIONS=--require) to set its wall clock CLOCK_SHIFT_MS (ms, may
// be negative) away from the system's, as a clock stepped by NTP or by hand between two runs
// would: `new Date()` and `Date.now()` only; a Date of a given time is that time. Deterministic.
const off = Number(process.env.CLOCK_SHIFT_MS || 0);
const RealDate = Date;
const realNow = RealDate.now;
class ShiftedDate extends RealDate {
  constructor(...a) {
    if (a.length === 0) super(realNow() + off);
    else super(...a);
  }
  static now() {
    return realNow() + off;
  }
}
globalThis.Date = ShiftedDate;
