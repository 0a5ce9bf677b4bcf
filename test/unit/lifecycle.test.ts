import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtensionRefused, InvalidStatusTransition } from '../../functions/core/errors';
import { claimOpenMarker, openMarkerId } from '../../functions/core/open-requests';
import type { RequestRecord } from '../../functions/core/ledger';
import { certificateLifecycle, decideExtension, denyRequest, extendRequest } from '../../functions/core/lifecycle';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r1',
    type: 'export',
    customerId: 'c1',
    customerKey: 'key-c1',
    brand: 'albelli',
    status: 'pending',
    createdAt: '2025-11-30T10:00:00.000Z',
    updatedAt: '2025-11-30T10:00:00.000Z',
    dueAt: '2025-12-30T10:00:00.000Z',
    bodyHash: 'hash',
    stores: {},
    version: 1,
    ...overrides,
  };
}

const request = { reason: 'complexity' as const, note: 'many stores', extendedBy: 'token:ops' };

describe('decideExtension', () => {
  it('extends an open request to three calendar months after receipt, clamped to the month end, keeping the previous due date', () => {
    // Act
    const decision = decideExtension(record(), request, new Date('2025-12-01T00:00:00.000Z'));

    // Assert
    expect(decision).toEqual({
      dueAt: '2026-02-28T10:00:00.000Z',
      extension: { reason: 'complexity', note: 'many stores', extendedAt: '2025-12-01T00:00:00.000Z', previousDueAt: '2025-12-30T10:00:00.000Z', extendedBy: 'token:ops' },
    });
  });

  it('leaves out a note that was not given', () => {
    // Act
    const decision = decideExtension(record(), { reason: 'third-party-data', extendedBy: 'token:ops' }, new Date('2025-12-01T00:00:00.000Z'));

    // Assert
    expect(decision?.extension).not.toHaveProperty('note');
  });

  it.each(['pending', 'in_progress', 'failed', 'on_hold'] as const)('extends a %s request', (status) => {
    expect(decideExtension(record({ status }), request, new Date('2025-12-01T00:00:00.000Z'))).toBeDefined();
  });

  it.each(['completed', 'cancelled', 'denied'] as const)('refuses a %s request: only an open one can be extended', (status) => {
    expect(() => decideExtension(record({ status }), request, new Date('2025-12-01T00:00:00.000Z'))).toThrow(
      new InvalidStatusTransition(`Request r1 is ${status}; only an open request can be extended`),
    );
  });

  it('refuses at or after the original due date (past_due)', () => {
    // Act
    const attempt = () => decideExtension(record(), request, new Date('2025-12-30T10:00:00.000Z'));

    // Assert
    expect(attempt).toThrow(ExtensionRefused);
    expect(attempt).toThrow('was due on 2025-12-30T10:00:00.000Z');
    try {
      attempt();
    } catch (error) {
      expect((error as ExtensionRefused).reason).toBe('past_due');
    }
  });

  it('answers a repeat of the same extension with nothing to write, and refuses another one (already_extended), even after the due date', () => {
    // Arrange
    const extended = record({ extension: { reason: 'complexity', note: 'many stores', extendedAt: 'x', previousDueAt: 'y', extendedBy: 'token:ops' }, dueAt: '2026-02-28T10:00:00.000Z' });

    // Act
    const repeat = decideExtension(extended, request, new Date('2026-01-15T00:00:00.000Z'));
    let refusal: unknown;
    try {
      decideExtension(extended, { ...request, note: 'other' }, new Date('2025-12-01T00:00:00.000Z'));
    } catch (error) {
      refusal = error;
    }

    // Assert
    expect(repeat).toBeUndefined();
    expect(refusal).toBeInstanceOf(ExtensionRefused);
    expect((refusal as ExtensionRefused).reason).toBe('already_extended');
  });

  it('refuses another reason with the same note (already_extended), naming when and why it was extended', () => {
    // Arrange
    const extended = record({ extension: { reason: 'complexity', note: 'many stores', extendedAt: '2025-12-01T00:00:00.000Z', previousDueAt: 'y', extendedBy: 'token:ops' } });

    // Act
    let refusal: unknown;
    try {
      decideExtension(extended, { ...request, reason: 'third-party-data' }, new Date('2025-12-02T00:00:00.000Z'));
    } catch (error) {
      refusal = error;
    }

    // Assert
    expect(refusal).toBeInstanceOf(ExtensionRefused);
    expect((refusal as ExtensionRefused).reason).toBe('already_extended');
    expect((refusal as ExtensionRefused).message).toBe('Request r1 was already extended on 2025-12-01T00:00:00.000Z (complexity); a deadline is extended once');
  });

  it('states the original due date when refusing a late extension', () => {
    expect(() => decideExtension(record(), request, new Date('2026-01-02T00:00:00.000Z'))).toThrow(
      new ExtensionRefused('Request r1 was due on 2025-12-30T10:00:00.000Z; an extension must be made before the original due date', 'past_due'),
    );
  });

  it('extends until just before the original due date', () => {
    expect(decideExtension(record(), request, new Date('2025-12-30T09:59:59.999Z'))?.dueAt).toBe('2026-02-28T10:00:00.000Z');
  });

  it.each(['pending', 'in_progress', 'completed'] as const)('refuses a %s consent withdrawal (not_extendable): it is answered as soon as possible, never three months later', (status) => {
    // Arrange
    const withdrawal = record({ type: 'consent-withdrawal', status, dueAt: '2025-12-03T10:00:00.000Z' });

    // Act
    let refusal: unknown;
    try {
      decideExtension(withdrawal, request, new Date('2025-12-01T00:00:00.000Z'));
    } catch (error) {
      refusal = error;
    }

    // Assert
    expect(refusal).toBeInstanceOf(ExtensionRefused);
    expect((refusal as ExtensionRefused).reason).toBe('not_extendable');
    expect((refusal as ExtensionRefused).message).toBe(
      'Request r1 is a consent-withdrawal; it is answered as soon as possible (Art. 7(3)) by its own target, so its deadline cannot be extended',
    );
  });
});

describe('extendRequest and denyRequest on the ledger', () => {
  let table: LedgerTable;
  let clock: Date;
  const sfn = new SFNClient({ region: 'eu-west-1' });
  const sfnMock = mockClient(sfn);

  beforeEach(async () => {
    clock = new Date('2025-12-01T00:00:00.000Z');
    table = await startLedgerTable(() => clock);
    sfnMock.reset();
    sfnMock.on(StopExecutionCommand).resolves({});
  });

  afterEach(async () => {
    await table.close();
  });

  it('extends once and emits Request Deadline Extended; the same call again changes nothing and emits nothing', async () => {
    // Arrange
    await table.ledger.create(record());

    // Act
    const extended = await extendRequest({ ledger: table.ledger }, 'r1', request);
    const repeated = await extendRequest({ ledger: table.ledger }, 'r1', request);

    // Assert
    expect(extended).toMatchObject({ dueAt: '2026-02-28T10:00:00.000Z', extension: { reason: 'complexity', previousDueAt: '2025-12-30T10:00:00.000Z' } });
    expect(repeated).toEqual(extended);
    expect(table.detailTypes).toEqual(['Request Deadline Extended']);
  });

  it('writes nothing for a refused extension', async () => {
    // Arrange
    await table.ledger.create(record({ status: 'completed' }));

    // Act
    const attempt = extendRequest({ ledger: table.ledger }, 'r1', request);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(InvalidStatusTransition);
    expect(await table.ledger.get('r1')).toEqual(record({ status: 'completed' }));
    expect(table.events).toHaveLength(0);
  });

  it.each(['pending', 'on_hold'] as const)('denies a %s request: final status denied with the reason, execution stopped, open marker released', async (status) => {
    // Arrange
    const held = record({ status, executionArn: 'arn:aws:states:eu-west-1:0:execution:dsr-erasure:r1', type: 'erasure' });
    await table.ledger.create(held);
    await claimOpenMarker({ doc: table.doc, tableName: table.tableName }, held, async () => 'open');

    // Act
    const denied = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'manifestly-unfounded', note: 'third identical request this week', deniedBy: 'token:ops' }, () => clock);

    // Assert
    expect(denied).toMatchObject({
      status: 'denied',
      denial: { reason: 'manifestly-unfounded', note: 'third identical request this week', deniedAt: '2025-12-01T00:00:00.000Z', deniedBy: 'token:ops' },
    });
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: 'arn:aws:states:eu-west-1:0:execution:dsr-erasure:r1', error: 'RequestDenied', cause: 'Denied: manifestly-unfounded' },
    ]);
    expect((await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { requestId: openMarkerId('erasure', 'key-c1') } }))).Item).toBeUndefined();
    expect(table.events.map((event) => event.status)).toEqual(['denied']);
  });

  it.each(['in_progress', 'failed', 'completed', 'cancelled'] as const)('refuses to deny a %s request and writes nothing', async (status) => {
    // Arrange
    await table.ledger.create(record({ status }));

    // Act
    const attempt = denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'excessive', note: 'n', deniedBy: 'token:ops' });

    // Assert
    await expect(attempt).rejects.toThrow(new InvalidStatusTransition(`Request r1 is ${status}; only a pending or on_hold request can be denied`));
    expect(await table.ledger.get('r1')).toEqual(record({ status }));
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('stamps the denial with the current time when no clock is given', async () => {
    // Arrange
    await table.ledger.create(record());
    const before = new Date().toISOString();

    // Act
    const denied = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'identity-not-verified', note: 'n', deniedBy: 'token:ops' });

    // Assert
    const after = new Date().toISOString();
    expect(denied.denial!.deniedAt >= before && denied.denial!.deniedAt <= after).toBe(true);
  });

  it('stops no execution for a request that has none', async () => {
    // Arrange
    await table.ledger.create(record());

    // Act
    const denied = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'excessive', note: 'n', deniedBy: 'token:ops' }, () => clock);

    // Assert
    expect(denied.status).toBe('denied');
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('denies all the same when the execution has ended already (StopExecution refused)', async () => {
    // Arrange
    sfnMock.on(StopExecutionCommand).rejects(Object.assign(new Error('gone'), { name: 'ExecutionDoesNotExist' }));
    await table.ledger.create(record({ executionArn: 'arn:aws:states:eu-west-1:0:execution:dsr-export:r1' }));

    // Act
    const denied = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'excessive', note: 'n', deniedBy: 'token:ops' }, () => clock);

    // Assert
    expect(denied.status).toBe('denied');
    expect((await table.ledger.get('r1')).status).toBe('denied');
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(1);
  });

  it('answers a repeated denial with the denied record', async () => {
    // Arrange
    await table.ledger.create(record());
    const first = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'excessive', note: 'n', deniedBy: 'token:ops' }, () => clock);

    // Act
    const again = await denyRequest({ ledger: table.ledger, sfn }, 'r1', { reason: 'excessive', note: 'n', deniedBy: 'token:ops' }, () => clock);

    // Assert
    expect(again).toEqual(first);
    expect(table.events).toHaveLength(1);
  });
});

describe('certificateLifecycle', () => {
  it('takes who asked, the identity verification, the due date, the extension and the holds from the record', () => {
    // Arrange
    const verification = { method: 'id-document' as const, verifiedBy: 'ops-7', verifiedAt: '2025-11-30T09:00:00.000Z' };
    const extension = { reason: 'complexity' as const, extendedAt: 'a', previousDueAt: 'b', extendedBy: 'token:ops' };
    const holds = [{ since: 'c', until: 'd', reasons: ['order o1: not yet paid'] }];

    // Act
    const lifecycle = certificateLifecycle(record({ caller: 'token:ops', verification, extension, holds }));

    // Assert
    expect(lifecycle).toStrictEqual({ requestedBy: 'token:ops', identityVerification: verification, dueAt: '2025-12-30T10:00:00.000Z', extension, holds });
  });

  it('has only the due date and no holds for a record without the rest', () => {
    expect(certificateLifecycle(record())).toStrictEqual({ dueAt: '2025-12-30T10:00:00.000Z', holds: [] });
  });
});
