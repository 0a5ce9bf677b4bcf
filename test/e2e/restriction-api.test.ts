import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerKey } from '../../functions/core/keyed-hash';
import { validateResponse } from '../unit/helpers/openapi';
import { snapshotExcept } from '../workflow/erasure-helpers';
import { startProcessingHarness, type ProcessingHarness } from './processing-api';

/**
 * End to end through the HTTP API: a restriction of c1's marketing and a restriction of everything
 * are recorded under the keyed hash and answered by the processing check (c12, c1's prefix
 * neighbour, stays allowed), lifted again, certified; bad bodies answer 400 naming the field and write
 * nothing.
 */

let harness: ProcessingHarness;
const verification = () => ({ method: 'known-contact', verifiedBy: 'ops-team', verifiedAt: new Date(Date.now() - 60_000).toISOString() });

beforeAll(async () => {
  harness = await startProcessingHarness('restriction');
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Creates a restriction request and waits for its final status. */
async function restriction(body: Record<string, unknown>) {
  const created = await harness.call('POST', '/v1/requests', { type: 'restriction', customerId: 'c1', brand: 'albelli', verification: verification(), ...body });
  expect(created.status).toBe(202);
  expect(validateResponse('/v1/requests', 'post', 202, created.body)).toBe('');
  return harness.client.waitFinal(created.body.requestId as string) as Promise<{ requestId: string; status: string; restriction: unknown; result: { certificate: Record<string, unknown> } }>;
}

const check = async (customerId: string, purpose: string) => {
  const answer = await harness.call('GET', `/v1/checks/processing?customerId=${customerId}&purpose=${purpose}`);
  expect(answer.status).toBe(200);
  expect(validateResponse('/v1/checks/processing', 'get', 200, answer.body)).toBe('');
  return answer.body;
};

describe('restriction through the HTTP API', () => {
  it('restricts and lifts c1\'s processing, answered by the processing check, without touching any business store or c12', async () => {
    const businessBefore = await snapshotExcept(harness.ctx, []);
    const before = await check('c1', 'marketing');

    const marketing = await restriction({ action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' });
    const afterMarketing = [await check('c1', 'marketing'), await check('c1', 'smart-creation'), await check('c12', 'marketing')];
    const all = await restriction({ action: 'restrict', scope: 'all', ground: 'legal-claims' });
    const afterAll = await check('c1', 'smart-creation');
    const entries = (await harness.suppressionItems()).filter((item) => String(item.hash).startsWith('restriction#'));
    const lifted = await restriction({ action: 'lift', scope: 'all' });
    const afterLift = [await check('c1', 'marketing'), await check('c1', 'smart-creation')];

    expect(before).toEqual({ purpose: 'marketing', allowed: true });
    expect(marketing).toMatchObject({ status: 'completed', restriction: { action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' } });
    expect(afterMarketing).toEqual([
      { purpose: 'marketing', allowed: false, reason: { kind: 'restriction', scope: 'marketing', ground: 'accuracy-contested', requestId: marketing.requestId, since: expect.any(String) } },
      { purpose: 'smart-creation', allowed: true },
      { purpose: 'marketing', allowed: true },
    ]);
    expect(afterAll).toMatchObject({ allowed: false, reason: { kind: 'restriction', scope: 'all', ground: 'legal-claims', requestId: all.requestId } });
    expect(entries.map((item) => item.hash).sort()).toEqual([`restriction#${customerKey('c1')}#all`, `restriction#${customerKey('c1')}#marketing`]);
    expect(JSON.stringify(entries)).not.toContain('"c1"');
    expect(lifted.status).toBe('completed');
    expect(lifted.result.certificate).toMatchObject({ verification: 'passed', stores: { 'marketing-suppression': { 'restriction-lifted': 2 } }, lifecycle: { requestedBy: expect.stringMatching(/^token:/) } });
    expect(marketing.result.certificate).toMatchObject({ notifiedRecipients: expect.arrayContaining(['email-marketing-provider', 'meta-custom-audiences']) });
    expect(afterLift).toEqual([{ purpose: 'marketing', allowed: true }, { purpose: 'smart-creation', allowed: true }]);
    expect((await harness.suppressionItems()).filter((item) => String(item.hash).startsWith('restriction#'))).toEqual([]);
    expect(await snapshotExcept(harness.ctx, [])).toEqual(businessBefore);
  });

  it.each([
    ['ground', { action: 'restrict', scope: 'marketing' }, 'is required to restrict'],
    ['scope', { action: 'restrict', scope: 'email', ground: 'legal-claims' }, 'must be one of all, marketing, smart-creation'],
    ['action', { action: 'pause', scope: 'all' }, 'must be one of restrict, lift'],
    ['ground', { action: 'restrict', scope: 'all', ground: 'bored' }, 'must be one of accuracy-contested'],
  ])('answers 400 naming %s and writes nothing', async (field, body, message) => {
    const suppressionBefore = await harness.suppressionItems();
    const listedBefore = await harness.call('GET', '/v1/requests?customerId=c2');

    const response = await harness.call('POST', '/v1/requests', { type: 'restriction', customerId: 'c2', brand: 'bonusprint', ...body });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.details).toEqual([{ field, message: expect.stringContaining(message) }]);
    expect(validateResponse('/v1/requests', 'post', 400, response.body)).toBe('');
    expect(await harness.suppressionItems()).toEqual(suppressionBefore);
    expect((await harness.call('GET', '/v1/requests?customerId=c2')).body).toEqual(listedBefore.body);
  });
});
