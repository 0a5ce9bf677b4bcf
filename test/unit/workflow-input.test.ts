import { describe, expect, it } from 'vitest';
import { workflowInputSchema, workflowRequestId } from '../../functions/core/workflow-input';

describe('workflowRequestId', () => {
  it.each([['r', true], ['r'.repeat(128), true], ['', false], ['r'.repeat(129), false], [7, false]])('%j valid: %s', (value, valid) => {
    expect(workflowRequestId.safeParse(value).success).toBe(valid);
  });
});

describe('workflowInputSchema', () => {
  it('takes the request id, type, brand and optional cooling-off end, and drops anything else (a customer id never passes)', () => {
    const parsed = workflowInputSchema.parse({ requestId: 'r1', type: 'erasure', brand: 'resnap', notBefore: '2025-01-01T00:00:00.000Z', customerId: 'c1' });

    expect(parsed).toStrictEqual({ requestId: 'r1', type: 'erasure', brand: 'resnap', notBefore: '2025-01-01T00:00:00.000Z' });
  });

  it.each([
    [{ type: 'export', brand: 'resnap' }],
    [{ requestId: 'r1', type: 'rectify', brand: 'resnap' }],
    [{ requestId: 'r1', type: 'export', brand: 'other' }],
    [{ requestId: 'r1', type: 'export', brand: 'resnap', notBefore: 5 }],
  ])('refuses %j', (input) => {
    expect(workflowInputSchema.safeParse(input).success).toBe(false);
  });
});
