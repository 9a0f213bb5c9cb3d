import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/common/errors.js';
import { almaBaseUrl } from '../../../src/targets/alma/regions.js';

describe('almaBaseUrl', () => {
  it.each([
    ['na', 'https://api-na.hosted.exlibrisgroup.com/almaws/v1'],
    ['eu', 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1'],
    ['ap', 'https://api-ap.hosted.exlibrisgroup.com/almaws/v1'],
    ['aps', 'https://api-aps.hosted.exlibrisgroup.com/almaws/v1'],
    ['ca', 'https://api-ca.hosted.exlibrisgroup.com/almaws/v1'],
    ['cn', 'https://api-cn.hosted.exlibrisgroup.com.cn/almaws/v1'],
  ])('region %s → %s', (region, url) => {
    expect(almaBaseUrl({ region })).toBe(url);
  });

  it.each([
    ['http://localhost:8080', 'http://localhost:8080/almaws/v1'],
    ['https://proxy.example.edu/alma/', 'https://proxy.example.edu/alma/almaws/v1'],
    ['https://api-eu.hosted.exlibrisgroup.com/almaws/v1/', 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1'],
  ])('explicit URL %s → %s (and wins over a region)', (baseUrl, url) => {
    expect(almaBaseUrl({ baseUrl, region: 'na' })).toBe(url);
  });

  it.each(['ftp://x', 'not a url', 'https://h/?apikey=abc', 'https://user:pw@h'])('refuses %s', (baseUrl) => {
    expect(() => almaBaseUrl({ baseUrl })).toThrow(UsageError);
  });

  it('refuses an unknown region and a missing one', () => {
    expect(() => almaBaseUrl({ region: 'us' })).toThrow(UsageError);
    expect(() => almaBaseUrl({})).toThrow(UsageError);
  });
});
