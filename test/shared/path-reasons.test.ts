import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { pathReason } from '../../src/common/path-reasons.js';

describe('pathReason', () => {
  it('words an operating-system error by its code', () => {
    let err: unknown;
    try {
      statSync('/no/such/path/at/all');
    } catch (e) {
      err = e;
    }
    expect(pathReason(err)).toBe('no such file or folder');
    expect(pathReason(Object.assign(new Error('x'), { code: 'ELOOP' }))).toMatch(/too many symbolic links/);
  });

  it('is undefined for anything else (a bug stays a bug)', () => {
    expect(pathReason(new TypeError('x'))).toBeUndefined();
    expect(pathReason(Object.assign(new Error('x'), { code: 'ERR_SOMETHING' }))).toBeUndefined();
    expect(pathReason(undefined)).toBeUndefined();
  });
});
