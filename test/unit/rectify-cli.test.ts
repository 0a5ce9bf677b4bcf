import { InvalidArgumentError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { correctionsOf, parseAddress } from '../../cli/commands/rectify';
import { buildProgram, main } from '../../cli/dsr';

/** `dsr rectify` and `dsr withdraw-consent` argument handling (no AWS reached: every case fails or stops before). */

describe('dsr rectify corrections', () => {
  it('builds the corrections from the options, addresses from TYPE,STREET,POSTAL_CODE,CITY,COUNTRY[,NAME]', () => {
    // Act
    const corrections = correctionsOf({ email: 'a@example.org', lastName: 'Jansen', address: ['home,Damrak 1,1012 LG,Amsterdam,NL', 'shipping, Rokin 2 ,1012 KT,Amsterdam,NL,A. Jansen'] });

    // Assert
    expect(corrections).toEqual({
      email: 'a@example.org',
      lastName: 'Jansen',
      addresses: [
        { type: 'home', street: 'Damrak 1', postalCode: '1012 LG', city: 'Amsterdam', country: 'NL' },
        { type: 'shipping', street: 'Rokin 2', postalCode: '1012 KT', city: 'Amsterdam', country: 'NL', name: 'A. Jansen' },
      ],
    });
  });

  it('refuses what the API refuses, naming the field, before anything is sent', () => {
    expect(() => correctionsOf({})).toThrow('invalid corrections: corrections: must correct at least one of email, phone, firstName, lastName, locale, addresses');
    expect(() => correctionsOf({ phone: '12' })).toThrow('invalid corrections: phone: must have 6 to 15 digits');
    expect(() => correctionsOf({ address: ['home,Damrak 1,1012 LG,Amsterdam,Netherlands'] })).toThrow('addresses.0.country: must be an ISO 3166-1 alpha-2 country code');
  });

  it('refuses an address with fewer than five parts and collects repeated ones', () => {
    expect(() => parseAddress('home,Damrak 1,Amsterdam')).toThrow(InvalidArgumentError);
    expect(parseAddress('work,B 2,2,C,NL', ['home,A 1,1,B,NL'])).toEqual(['home,A 1,1,B,NL', 'work,B 2,2,C,NL']);
  });
});

describe('dsr rectify and withdraw-consent commands', () => {
  let errors: string[];

  beforeEach(() => {
    errors = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('registers both commands with a positional customer id', () => {
    const names = buildProgram().commands.map((command) => command.name());

    expect(names).toEqual(expect.arrayContaining(['rectify', 'withdraw-consent']));
  });

  it.each([
    [['rectify', 'c/1', '--brand', 'albelli', '--email', 'a@example.org'], /customerId.*must match/],
    [['rectify', 'c1', '--brand', 'albelli', '--email', 'nope'], /invalid corrections: email: must be an email address/],
    [['withdraw-consent', 'c3', '--brand', 'fotoknudsen', '--service', 'newsletter'], /--service.*newsletter.*photo-library/s],
    [['withdraw-consent', 'c3'], /--brand/],
  ])('fails %j naming the problem', async (args, message) => {
    await main(['node', 'dsr', ...args]);

    expect(process.exitCode).toBeGreaterThan(0);
    expect(errors.join('')).toMatch(message);
  });
});
