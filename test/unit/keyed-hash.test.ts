import { describe, expect, it } from 'vitest';
import { customerKey, hashKey, keyedHash, normaliseEmail, normalisePhone } from '../../functions/core/keyed-hash';
import { restoredAfterEach } from './helpers/replacements';

/**
 * Known-answer vectors: every expected hash was computed once outside the code under test
 * (`printf '%s' 'customer:cust-0001' | openssl dgst -sha256 -hmac "$KEY"`) and written here as a literal,
 * so a change to the namespace, the message layout or the normalisation fails here (a stored customer key
 * or suppression hash would stop matching).
 */
const KEY = 'kat-hash-key-0123456789abcdef0123';
const replacements = restoredAfterEach();

describe('hashKey', () => {
  it('returns the configured key of at least 32 characters', () => {
    const key = hashKey({ DSR_HASH_KEY: 'k'.repeat(32) });

    expect(key).toBe('k'.repeat(32));
  });

  it.each([
    ['missing', {}],
    ['empty', { DSR_HASH_KEY: '' }],
    ['31 characters', { DSR_HASH_KEY: 'k'.repeat(31) }],
  ])('refuses a %s key, naming the variable', (_, env) => {
    expect(() => hashKey(env)).toThrow('DSR_HASH_KEY must be set to a secret of at least 32 characters');
  });

  it('reads process.env by default', () => {
    replacements.setEnv('DSR_HASH_KEY', KEY);
    expect(hashKey()).toBe(KEY);
  });
});

describe('keyedHash and customerKey (known answers)', () => {
  it('is HMAC-SHA256 of "<namespace>:<value>" in hex', () => {
    const hash = keyedHash('customer', 'cust-0001', KEY);

    expect(hash).toBe('e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca');
  });

  it('keys a customer id in the customer namespace', () => {
    const key = customerKey('cust-0001', KEY);

    expect(key).toBe('e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca');
  });

  it('hashes an empty value in its namespace', () => {
    const hash = keyedHash('customer', '', KEY);

    expect(hash).toBe('ab49c57f102e1b7ee0a34cc71674279d52df68887a966e0996258507db34ec01');
  });

  it('uses the configured key when none is passed', () => {
    replacements.setEnv('DSR_HASH_KEY', KEY);
    expect(customerKey('cust-0001')).toBe('e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca');
  });
});

describe('normaliseEmail', () => {
  it.each([
    ['Ada.Lovelace@Example.COM', 'ada.lovelace@example.com'],
    ['  ada.lovelace@example.com\t\n', 'ada.lovelace@example.com'],
    ['ada.lovelace@example.com', 'ada.lovelace@example.com'],
  ])('%j → %j', (email, expected) => {
    expect(normaliseEmail(email)).toBe(expected);
  });
});

describe('normalisePhone', () => {
  it.each([
    ['+44 7700 900123', '+447700900123'],
    [' 0044 (7700) 900-123 ', '+447700900123'],
    ['07700 900123', '07700900123'],
    ['(0)7700-900-123', '07700900123'],
    ['+44 (0) 7700 900123', '+4407700900123'],
    ['7700 0090 0123', '770000900123'],
    ['44+7700', '447700'],
    ['tel. 0044 1234', '00441234'],
  ])('%j → %j', (phone, expected) => {
    expect(normalisePhone(phone)).toBe(expected);
  });
});
