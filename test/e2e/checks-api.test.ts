import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { validateResponse } from '../unit/helpers/openapi';
import { startProcessingHarness, type ProcessingHarness } from './processing-api';

/**
 * End to end through the HTTP API: the checks other systems call. The suppression check answers which
 * emails and phones are suppressed (before and after c2's erasure, c21 untouched), refuses more than
 * 1,000 contact points naming the limit, and logs no contact point; the processing check refuses the
 * erased c2 by its keyed hash although the ledger no longer holds the id.
 */

let harness: ProcessingHarness;

beforeAll(async () => {
  harness = await startProcessingHarness('checks');
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** The email and phone of a demo customer's profile. */
async function contactsOf(customerId: string): Promise<{ email: string; phone: string }> {
  const profile = (await harness.ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId } }))).Item!;
  return { email: String(profile.email), phone: String(profile.phone) };
}

describe('the suppression and processing checks', () => {
  it('answer before and after c2\'s erasure: c2 suppressed and refused by keyed hash, its prefix neighbour c21 not', async () => {
    const c2 = await contactsOf('c2');
    const c21 = await contactsOf('c21');
    const body = { emails: [c2.email.toUpperCase(), c21.email], phones: [c2.phone] };
    const before = await harness.call('POST', '/v1/checks/suppression', body);
    const processingBefore = await harness.call('GET', '/v1/checks/processing?customerId=c2&purpose=marketing');

    const erasure = await harness.call('POST', '/v1/requests', { type: 'erasure', customerId: 'c2', brand: 'bonusprint' });
    const erased = await harness.client.waitFinal(erasure.body.requestId as string);
    const after = await harness.call('POST', '/v1/checks/suppression', body);
    const processing = await Promise.all(['c2', 'c21'].map(async (customerId) => (await harness.call('GET', `/v1/checks/processing?customerId=${customerId}&purpose=smart-creation`)).body));

    expect(before.status).toBe(200);
    expect(before.body.results.map((answer: { suppressed: boolean }) => answer.suppressed)).toEqual([false, false, false]);
    expect(processingBefore.body).toEqual({ purpose: 'marketing', allowed: true });
    expect(erased.status).toBe('completed');
    expect((await harness.ctx.ledger.get(erasure.body.requestId as string)).customerId).toBeUndefined();
    expect(after.body).toEqual({
      results: [
        { email: c2.email.toUpperCase(), suppressed: true, reason: 'erasure' },
        { email: c21.email, suppressed: false },
        { phone: c2.phone, suppressed: true, reason: 'erasure' },
      ],
    });
    expect(validateResponse('/v1/checks/suppression', 'post', 200, after.body)).toBe('');
    expect(processing).toEqual([
      { purpose: 'smart-creation', allowed: false, reason: { kind: 'erasure', since: expect.any(String) } },
      { purpose: 'smart-creation', allowed: true },
    ]);
    expect((await harness.suppressionItems()).some((item) => item.hash === `customer#${customerKey('c2')}`)).toBe(true);
  });

  it('answers 1,000 contact points, and logs none of them, not even when the check fails', async () => {
    const emails = Array.from({ length: 600 }, (_, index) => `import-${index}@example.org`);
    const phones = Array.from({ length: 400 }, (_, index) => `+31 20 ${String(index).padStart(7, '0')}`);
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const table = process.env.DSR_TABLE_MARKETING_SUPPRESSION;

    let response;
    let failed;
    try {
      response = await harness.call('POST', '/v1/checks/suppression', { emails, phones });
      process.env.DSR_TABLE_MARKETING_SUPPRESSION = 'dsr-no-such-table';
      failed = await harness.call('POST', '/v1/checks/suppression', { emails, phones });
    } finally {
      if (table === undefined) delete process.env.DSR_TABLE_MARKETING_SUPPRESSION;
      else process.env.DSR_TABLE_MARKETING_SUPPRESSION = table;
      for (const spy of spies) spy.mockRestore();
    }

    expect(response.status).toBe(200);
    expect(response.body.results).toHaveLength(1000);
    expect(response.body.results[0]).toEqual({ email: 'import-0@example.org', suppressed: false });
    expect(response.body.results[999]).toEqual({ phone: phones[399], suppressed: false });
    expect(failed.status).toBe(500);
    expect(JSON.stringify(failed.body)).not.toMatch(/import-|\+31 20/);
    expect(written.join('')).toContain('api request failed');
    expect(written.join('')).not.toMatch(/import-\d+@example\.org|\+31 20/);
  });

  it.each([
    ['more than 1,000 together, naming the limit', { emails: Array.from({ length: 501 }, (_, i) => `a${i}@example.org`), phones: Array.from({ length: 500 }, (_, i) => `+31${i}`) }, 'emails', 'emails and phones together must hold at most 1000 entries (got 1001)'],
    ['more than 1,000 phones', { phones: Array.from({ length: 1001 }, (_, i) => `+31${i}`) }, 'phones', 'must hold at most 1000 entries'],
    ['no contact point', {}, 'emails', 'give at least one email or phone'],
    ['an email without @', { emails: ['ok@example.org', 'not-an-email'] }, 'emails.1', 'must be an email address'],
    ['a phone without digits', { phones: ['call me'] }, 'phones.0', 'must be a phone number (digits, spaces, + ( ) . / -)'],
  ])('refuses %s with a 400 naming the field', async (_case, body, field, message) => {
    const before = await harness.suppressionItems();

    const response = await harness.call('POST', '/v1/checks/suppression', body);

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.details).toContainEqual({ field, message });
    expect(validateResponse('/v1/checks/suppression', 'post', 400, response.body)).toBe('');
    expect(await harness.suppressionItems()).toEqual(before);
  });

  it.each([
    ['an unknown purpose', '?customerId=c1&purpose=profiling', 'purpose', 'must be one of marketing, smart-creation'],
    ['no customer id', '?purpose=marketing', 'customerId', expect.any(String)],
    ['a customer id that could escape a key prefix', '?customerId=c1%2F..&purpose=marketing', 'customerId', 'must be 1-64 letters, digits, "-" or "_"'],
  ])('refuses a processing check with %s, naming the field', async (_case, query, field, message) => {
    const response = await harness.call('GET', `/v1/checks/processing${query}`);

    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field, message }]);
    expect(validateResponse('/v1/checks/processing', 'get', 400, response.body)).toBe('');
  });
});
