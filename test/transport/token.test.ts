import { describe, expect, it } from 'vitest';
import { TokenCache, type TokenGrant } from '../../src/transport/token.js';

/** A token endpoint that answers when told to, and counts what it was asked. */
function endpoint() {
  let n = 0;
  const asked: (string | undefined)[] = [];
  const waiting: ((g: TokenGrant) => void)[] = [];
  let t = 0;
  return {
    now: () => t,
    advance: (ms: number) => (t += ms),
    asked,
    fetch: (refresh: string | undefined): Promise<TokenGrant> => {
      asked.push(refresh);
      return new Promise((resolve) => waiting.push(resolve));
    },
    answer(ttlMs = 3_600_000): void {
      n++;
      waiting.shift()?.({ accessToken: `at${n}`, refreshToken: `rt${n}`, expiresAtMs: t + ttlMs, issuedAtMs: t });
    },
    pending: () => waiting.length,
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Exsited token cache: one live token, never two token requests at once', () => {
  it('twenty concurrent callers share one token request (a second one would revoke the first)', async () => {
    const e = endpoint();
    const cache = new TokenCache({ fetch: e.fetch, now: e.now });
    const all = Promise.all(Array.from({ length: 20 }, () => cache.get()));
    await tick();
    expect(e.pending()).toBe(1);
    e.answer();
    expect(await all).toEqual(Array(20).fill('at1'));
    expect(cache.fetches).toBe(1);
    expect(await cache.get()).toBe('at1');
    expect(cache.fetches).toBe(1);
  });

  it('renews shortly before expiry, with the refresh token, once for all callers', async () => {
    const e = endpoint();
    const cache = new TokenCache({ fetch: e.fetch, now: e.now, marginMs: 60_000 });
    const first = cache.get();
    await tick();
    e.answer(3_600_000);
    await first;
    e.advance(3_600_000 - 59_000); // inside the renewal margin
    const again = Promise.all([cache.get(), cache.get(), cache.get()]);
    await tick();
    expect(e.pending()).toBe(1);
    e.answer();
    expect(await again).toEqual(['at2', 'at2', 'at2']);
    expect(e.asked).toEqual([undefined, 'rt1']);
  });

  it('a short-lived token is renewed near its end, not at once (margin at most a tenth of its life)', async () => {
    const e = endpoint();
    const cache = new TokenCache({ fetch: e.fetch, now: e.now, marginMs: 60_000 });
    const p = cache.get();
    await tick();
    e.answer(2_000);
    await p;
    e.advance(1_500);
    expect(await cache.get()).toBe('at1');
    expect(cache.fetches).toBe(1);
  });

  it('a 401 drops the refused token once: callers refused with an older token just take the current one', async () => {
    const e = endpoint();
    const cache = new TokenCache({ fetch: e.fetch, now: e.now });
    const p = cache.get();
    await tick();
    e.answer();
    const old = await p;
    cache.invalidate(old);
    const renewed = cache.get();
    await tick();
    e.answer();
    expect(await renewed).toBe('at2');
    cache.invalidate(old); // a late 401 for the old token
    expect(await cache.get()).toBe('at2');
    expect(cache.fetches).toBe(2);
  });

  it('a failed token request is not cached: the next caller asks again', async () => {
    let calls = 0;
    const cache = new TokenCache({
      fetch: async () => {
        calls++;
        if (calls === 1) throw new Error('connection reset');
        return { accessToken: 'ok', expiresAtMs: Date.now() + 3_600_000 };
      },
    });
    await expect(Promise.all([cache.get(), cache.get()])).rejects.toThrow('connection reset');
    expect(calls).toBe(1);
    expect(await cache.get()).toBe('ok');
  });
});
