import { describe, expect, it } from 'vitest';
import { emailHash, phoneHash } from '../../functions/core/erasure/suppression';

/**
 * Known-answer vectors for the hashes the suppression list stores: each expected value was computed
 * once with `printf '%s' 'email:ada.lovelace@example.com' | openssl dgst -sha256 -hmac "$KEY"` and
 * written here, so a change to the namespace or the normalisation (which would make every stored
 * suppression hash stop matching and let erased customers back into marketing) fails here.
 * The step itself (capture, suppress, isSuppressed) is tested in erasure-steps.test.ts.
 */
const KEY = 'kat-hash-key-0123456789abcdef0123';
const ADA_EMAIL = 'f9821ac6d726cd0f47b80b1a7ac02e708a26253ab99661b29122f213cdca6aa6';
const ADA_PHONE = 'a97fa843408d0a269dddad7f8a4b9fe4e2fd629244a52d7709d0adcb6f6173a7';
const ADA_NATIONAL_PHONE = 'a721c029414772e35a4ad34e830cf02b41c6d44f596d34d4b094edc743f463a0';

describe('emailHash', () => {
  it.each(['ada.lovelace@example.com', '  Ada.Lovelace@EXAMPLE.com ', 'ADA.LOVELACE@EXAMPLE.COM'])('hashes %j as the normalised address', (email) => {
    expect(emailHash(email, KEY)).toBe(ADA_EMAIL);
  });
});

describe('phoneHash', () => {
  it.each(['+447700900123', '+44 7700 900123', '0044 7700-900-123', ' +44 (7700) 900 123 '])('hashes %j as +447700900123', (phone) => {
    expect(phoneHash(phone, KEY)).toBe(ADA_PHONE);
  });

  it('keeps a national number without a country code distinct', () => {
    expect(phoneHash('07700 900123', KEY)).toBe(ADA_NATIONAL_PHONE);
  });
});
