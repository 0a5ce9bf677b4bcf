import { describe, expect, it } from 'vitest';
import { SubjectRedacted } from '../../functions/core/errors';
import type { RequestRecord } from '../../functions/core/ledger';
import { subjectOf } from '../../functions/core/subject';

/** A ledger whose `get` answers the given record for every id it is asked about. */
function ledgerWith(record: Partial<RequestRecord>) {
  const asked: string[] = [];
  return { asked, ledger: { get: async (requestId: string) => (asked.push(requestId), record as RequestRecord) } };
}

describe('subjectOf', () => {
  it('resolves the customer of a request from its ledger record', async () => {
    const { ledger, asked } = ledgerWith({ requestId: 'r1', customerId: 'c1' });

    const subject = await subjectOf(ledger, 'r1');

    expect(subject).toStrictEqual({ customerId: 'c1' });
    expect(asked).toEqual(['r1']);
  });

  it.each([['removed', undefined], ['empty', '']])('throws SubjectRedacted naming the request when the customer id was %s', async (_, customerId) => {
    const { ledger } = ledgerWith({ requestId: 'r1', customerId });

    const resolving = subjectOf(ledger, 'r1');

    await expect(resolving).rejects.toThrow(SubjectRedacted);
    await expect(subjectOf(ledger, 'r1')).rejects.toThrow('Request r1 no longer holds a customer id; the customer was erased');
  });
});
