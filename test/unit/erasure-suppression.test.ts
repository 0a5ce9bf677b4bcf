import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  captureSuppressionInput,
  captureSuppressionKeys,
  emailHash,
  isSuppressed,
  phoneHash,
  suppressionKeysOutput,
  suppressionLinkKey,
  suppressionOf,
  writeSuppressionEntries,
} from '../../functions/core/erasure/suppression';
import { getStore } from '../../functions/core/data-map';
import { StoreFailed } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { restoredAfterEach } from './helpers/replacements';

/**
 * Known-answer vectors for the hashes the suppression list stores: each expected value was computed
 * once with `printf '%s' 'email:ada.lovelace@example.com' | openssl dgst -sha256 -hmac "$KEY"` and
 * written here, so a change to the namespace or the normalisation (which would make every stored
 * suppression hash stop matching and let erased customers back into marketing) fails here.
 * The step itself (capture, suppress, isSuppressed) is tested below.
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

describe('captureSuppressionKeys and isSuppressed (known answers)', () => {
  // Computed once with openssl under KEY: email:grace@example.com, phone:+31612345678, customer:c1.
  const GRACE_EMAIL = 'b22d13ed507206761643d4f5297c46b5cf3fc4dd1049091d6899167ad14436b2';
  const GRACE_PHONE = 'c8c46a447c226c6e816772ad1cc45c3940e5fa1761be12f80f13ae0dba6f995b';
  const DE_PHONE = '37c833abb60641fad73dbd75d96dc3c0f11cc4ebd096afb5b787707ec856db6c'; // phone:+4915112345678
  const C1_LINK = 'customer#b3e88105c805287d0b21a58e1f78ef6ae5f8da27931f0c262fe0385372744050';
  const env = { DSR_HASH_KEY: KEY };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const docMock = mockClient(doc);
  const now = () => new Date('2025-06-01T12:00:00.000Z');
  const denied = () => Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });

  beforeEach(() => {
    docMock.reset();
    docMock.on(GetCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(UpdateCommand).resolves({});
  });

  it('hashes the profile, the email and SMS consents and the link entry, writes one entry per hash and the link, and returns them sorted', async () => {
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile', Key: { customerId: 'c1' } }).resolves({ Item: { customerId: 'c1', email: ' Ada.Lovelace@Example.com', phone: '+31 6 1234 5678' } });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({
      Items: [
        { channel: 'email', address: 'grace@example.com' },
        { channel: 'sms', address: '0049 151 12345678' },
        { channel: 'email', address: 7 },
        { channel: 'post', address: 'Damrak 1' },
        { channel: 'email', address: '' },
        { channel: 'email' },
      ],
    });
    docMock.on(GetCommand, { TableName: 'dsr-marketing-suppression', Key: { hash: C1_LINK } }).resolves({ Item: { hash: C1_LINK, phoneHashes: new Set([ADA_PHONE]) } });

    const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(keys).toStrictEqual({ emailHashes: [GRACE_EMAIL, ADA_EMAIL], phoneHashes: [DE_PHONE, ADA_PHONE, GRACE_PHONE] });
    const gets = docMock.commandCalls(GetCommand).map((call) => call.args[0].input);
    expect(gets.every((get) => get.ConsistentRead === true)).toBe(true);
    expect(docMock.commandCalls(QueryCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
    const updates = docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.slice(0, 5)).toEqual(
      [...keys.emailHashes.map((hash) => [hash, 'email']), ...keys.phoneHashes.map((hash) => [hash, 'phone'])].map(([hash, kind]) => ({
        TableName: 'dsr-marketing-suppression',
        Key: { hash },
        UpdateExpression: 'SET suppressedAt = if_not_exists(suppressedAt, :now), kind = :kind, reason = :reason',
        ExpressionAttributeValues: { ':now': '2025-06-01T12:00:00.000Z', ':kind': kind, ':reason': 'erasure' },
      })),
    );
    expect(updates[5]).toEqual({
      TableName: 'dsr-marketing-suppression',
      Key: { hash: C1_LINK },
      UpdateExpression: 'SET suppressedAt = if_not_exists(suppressedAt, :now) ADD emailHashes :emails, phoneHashes :phones',
      ExpressionAttributeValues: { ':now': '2025-06-01T12:00:00.000Z', ':emails': new Set(keys.emailHashes), ':phones': new Set(keys.phoneHashes) },
    });
    expect(updates).toHaveLength(6);
  });

  it('links a phone-only customer without an email set, stamping the current time by default', async () => {
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', phone: '+31612345678' } });
    const before = new Date().toISOString();

    const keys = await captureSuppressionKeys({ doc, env }, { requestId: 'r1', customerId: 'c1' });

    expect(keys).toStrictEqual({ emailHashes: [], phoneHashes: [GRACE_PHONE] });
    const link = docMock.commandCalls(UpdateCommand).at(-1)!.args[0].input;
    expect(link.UpdateExpression).toBe('SET suppressedAt = if_not_exists(suppressedAt, :now) ADD phoneHashes :phones');
    expect(Object.keys(link.ExpressionAttributeValues!)).toEqual([':now', ':phones']);
    expect(String(link.ExpressionAttributeValues![':now']) >= before).toBe(true);
  });

  it('links only the kinds it found, and links a customer without contact points with the time only', async () => {
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: 'grace@example.com', phone: '' } });

    const emailOnly = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });
    const linkUpdate = docMock.commandCalls(UpdateCommand).at(-1)!.args[0].input;
    docMock.resetHistory();
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: 7 } });
    const nothing = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(emailOnly).toStrictEqual({ emailHashes: [GRACE_EMAIL], phoneHashes: [] });
    expect(linkUpdate.UpdateExpression).toBe('SET suppressedAt = if_not_exists(suppressedAt, :now) ADD emailHashes :emails');
    expect(linkUpdate.ExpressionAttributeValues).toEqual({ ':now': '2025-06-01T12:00:00.000Z', ':emails': new Set([GRACE_EMAIL]) });
    expect(nothing).toStrictEqual({ emailHashes: [], phoneHashes: [] });
    expect(docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'dsr-marketing-suppression', Key: { hash: C1_LINK }, UpdateExpression: 'SET suppressedAt = if_not_exists(suppressedAt, :now)', ExpressionAttributeValues: { ':now': '2025-06-01T12:00:00.000Z' } },
    ]);
  });

  it('writes objection entries that never replace an erasure\'s reason, and returns the time stamped', async () => {
    const stamped = await writeSuppressionEntries({ doc, env, now }, { emailHashes: [GRACE_EMAIL], phoneHashes: [GRACE_PHONE] }, 'objection');

    expect(stamped).toBe('2025-06-01T12:00:00.000Z');
    expect(docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual(
      [[GRACE_EMAIL, 'email'], [GRACE_PHONE, 'phone']].map(([hash, kind]) => ({
        TableName: 'dsr-marketing-suppression',
        Key: { hash },
        UpdateExpression: 'SET suppressedAt = if_not_exists(suppressedAt, :now), kind = :kind, reason = if_not_exists(reason, :reason)',
        ExpressionAttributeValues: { ':now': '2025-06-01T12:00:00.000Z', ':kind': kind, ':reason': 'objection' },
      })),
    );
  });

  it('names the link key after the customer\'s keyed hash', () => {
    expect(suppressionLinkKey(customerKey('c1', KEY))).toBe(C1_LINK);
  });

  it.each([
    ['reading the profile', () => docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).rejects(denied()), 'customer-profile'],
    ['reading the link entry', () => docMock.on(GetCommand, { TableName: 'dsr-marketing-suppression' }).rejects(denied()), 'marketing-suppression'],
    ['writing an entry', () => docMock.on(UpdateCommand).rejects(denied()), 'marketing-suppression'],
  ])('names the store when %s fails', async (_, fail, store) => {
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: 'grace@example.com' } });
    fail();

    const capturing = captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    await expect(capturing).rejects.toThrow(StoreFailed);
    await expect(capturing).rejects.toThrow(`Store "${store}" failed: AccessDeniedException: denied`);
  });

  it('finds a suppressed email or phone by its keyed hash only, and nothing for an empty contact', async () => {
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { hash: string }[] }> }) => ({
      Responses: { 'dsr-marketing-suppression': input.RequestItems['dsr-marketing-suppression']!.Keys.filter((key) => key.hash === GRACE_PHONE).map((key) => ({ ...key, reason: 'erasure' })) },
    }));

    const byPhone = await isSuppressed(doc, { email: 'other@example.com', phone: '+31 6 12345678' }, env);
    const byEmail = await isSuppressed(doc, { email: 'other@example.com' }, env);
    const empty = await isSuppressed(doc, { email: '', phone: '' }, env);

    expect([byPhone, byEmail, empty]).toEqual([true, false, false]);
    const batches = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['dsr-marketing-suppression']);
    expect(batches).toEqual([
      { Keys: [{ hash: emailHash('other@example.com', KEY) }, { hash: GRACE_PHONE }], ConsistentRead: true },
      { Keys: [{ hash: emailHash('other@example.com', KEY) }], ConsistentRead: true },
    ]);
  });

  it('answers every contact point as sent, emails first, with the reason of a suppressed one (an entry without one: erasure)', async () => {
    const stored: Record<string, Record<string, unknown>> = {
      [GRACE_EMAIL]: { hash: GRACE_EMAIL, reason: 'objection' },
      [GRACE_PHONE]: { hash: GRACE_PHONE },
    };
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { hash: string }[] }> }) => ({
      Responses: { 'dsr-marketing-suppression': input.RequestItems['dsr-marketing-suppression']!.Keys.flatMap((key) => (stored[key.hash] ? [stored[key.hash]] : [])) },
    }));

    const answers = await suppressionOf(doc, { phones: ['+31612345678', '+4912'], emails: [' GRACE@example.com', 'grace@example.com', 'nobody@example.com'] }, env);

    expect(answers).toEqual([
      { email: ' GRACE@example.com', suppressed: true, reason: 'objection' },
      { email: 'grace@example.com', suppressed: true, reason: 'objection' },
      { email: 'nobody@example.com', suppressed: false },
      { phone: '+31612345678', suppressed: true, reason: 'erasure' },
      { phone: '+4912', suppressed: false },
    ]);
    expect(docMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!['dsr-marketing-suppression']!.Keys).toHaveLength(4);
  });

  it('asks nothing for no contact points, and batches 1,000 of them in BatchGetItem calls of 100', async () => {
    docMock.on(BatchGetCommand).resolves({ Responses: {} });
    const emails = Array.from({ length: 1000 }, (_, index) => `person${index}@example.com`);

    const none = await suppressionOf(doc, {}, env);
    const many = await suppressionOf(doc, { emails }, env);

    expect(none).toEqual([]);
    expect(many).toHaveLength(1000);
    expect(many.every((answer) => !answer.suppressed)).toBe(true);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(10);
  });

  it('names the suppression store when the check fails', async () => {
    docMock.on(BatchGetCommand).rejects(denied());

    await expect(isSuppressed(doc, { email: 'grace@example.com' }, env)).rejects.toThrow('Store "marketing-suppression" failed: AccessDeniedException: denied');
  });

  it('names the suppression store when writing the link entry of a customer without contact points fails', async () => {
    docMock.on(UpdateCommand).rejects(denied());

    const capturing = captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    await expect(capturing).rejects.toThrow(StoreFailed);
    await expect(capturing).rejects.toThrow('Store "marketing-suppression" failed: AccessDeniedException: denied');
    expect(docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([{ hash: C1_LINK }]);
  });

  it('names the suppression store when writing an objection entry fails, and writes no further entry', async () => {
    docMock.on(UpdateCommand).rejects(denied());

    const writing = writeSuppressionEntries({ doc, env, now }, { emailHashes: [GRACE_EMAIL], phoneHashes: [GRACE_PHONE] }, 'objection');

    await expect(writing).rejects.toThrow(StoreFailed);
    await expect(writing).rejects.toThrow('Store "marketing-suppression" failed: AccessDeniedException: denied');
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('checks the suppression table its environment names', async () => {
    docMock.on(BatchGetCommand).resolves({ Responses: { 'acme-suppression': [{ hash: GRACE_EMAIL, reason: 'objection' }] } });

    const answers = await suppressionOf(doc, { emails: ['grace@example.com'] }, { ...env, DSR_TABLE_MARKETING_SUPPRESSION: 'acme-suppression' });

    expect(answers).toEqual([{ email: 'grace@example.com', suppressed: true, reason: 'objection' }]);
    expect(docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems)).toEqual([
      { 'acme-suppression': { Keys: [{ hash: GRACE_EMAIL }], ConsistentRead: true } },
    ]);
  });

  describe('without a suppressing store in the data map', () => {
    const replacements = restoredAfterEach();

    it('captures no hashes and reads or writes nothing', async () => {
      const marketing = getStore('marketing');
      const erasure = marketing.erasure;
      expect(erasure).toEqual({ action: 'delete', suppress: true });
      replacements.replace(
        () => {
          (marketing as { erasure: unknown }).erasure = { action: 'delete' };
        },
        () => {
          (marketing as { erasure: unknown }).erasure = erasure;
        },
      );
      docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: 'grace@example.com', phone: '+31612345678' } });

      const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

      expect(keys).toStrictEqual({ emailHashes: [], phoneHashes: [] });
      expect(docMock.calls()).toHaveLength(0);
    });
  });

  it('takes a request id and returns the two hash lists', () => {
    expect(captureSuppressionInput.parse({ requestId: 'r1', customerId: 'c1' })).toStrictEqual({ requestId: 'r1' });
    expect(() => captureSuppressionInput.parse({})).toThrow();
    expect(suppressionKeysOutput.parse({ emailHashes: ['a'], phoneHashes: [] })).toStrictEqual({ emailHashes: ['a'], phoneHashes: [] });
    expect(() => suppressionKeysOutput.parse({ emailHashes: ['a'] })).toThrow();
  });
});

describe('suppression', () => {
  const env = { DSR_HASH_KEY: 'k'.repeat(40) };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const docMock = mockClient(doc);
  const now = () => new Date('2025-06-01T12:00:00.000Z');

  beforeEach(() => {
    docMock.reset();
  });

  /** A suppression table in memory behind the mocked document client. */
  function fakeSuppressionTable(): Map<string, Record<string, unknown>> {
    const table = new Map<string, Record<string, unknown>>();
    docMock.on(GetCommand, { TableName: 'dsr-marketing-suppression' }).callsFake((input: { Key: { hash: string } }) => ({ Item: table.get(input.Key.hash) }));
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { hash: string }[] }> }) => ({
      Responses: { 'dsr-marketing-suppression': input.RequestItems['dsr-marketing-suppression']!.Keys.flatMap((key) => (table.has(key.hash) ? [table.get(key.hash)] : [])) },
    }));
    docMock.on(UpdateCommand, { TableName: 'dsr-marketing-suppression' }).callsFake((input: { Key: { hash: string }; ExpressionAttributeValues: Record<string, unknown> }) => {
      const values = input.ExpressionAttributeValues;
      const current = table.get(input.Key.hash) ?? { hash: input.Key.hash };
      table.set(input.Key.hash, { suppressedAt: values[':now'], ...current, ...(values[':kind'] ? { kind: values[':kind'] } : {}) });
      return {};
    });
    return table;
  }

  it('writes only keyed hashes of the profile and consent contact points, and the import check finds them', async () => {
    const table = fakeSuppressionTable();
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: ' Ann@Example.COM', phone: '0031 6 1234 5678' } });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({
      Items: [
        { customerId: 'c1', entryId: 'consent#email', channel: 'email', address: 'ann.work@example.com' },
        { customerId: 'c1', entryId: 'consent#post', channel: 'post', address: 'Damrak 1, Amsterdam' },
      ],
    });

    const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(keys.emailHashes).toEqual([emailHash('ann@example.com', env.DSR_HASH_KEY), emailHash('ann.work@example.com', env.DSR_HASH_KEY)].sort());
    expect(keys.phoneHashes).toEqual([phoneHash('+31612345678', env.DSR_HASH_KEY)]);
    const stored = JSON.stringify([...table.values()]);
    expect(stored).not.toMatch(/ann|example|1234|Damrak/i);
    expect(table.get(`customer#${customerKey('c1', env.DSR_HASH_KEY)}`)).toBeDefined();
    await expect(isSuppressed(doc, { email: 'ANN@example.com ' }, env)).resolves.toBe(true);
    await expect(isSuppressed(doc, { phone: '+31 6 12345678' }, env)).resolves.toBe(true);
    await expect(isSuppressed(doc, { email: 'someone.else@example.com', phone: '+4712345678' }, env)).resolves.toBe(false);
    await expect(isSuppressed(doc, {}, env)).resolves.toBe(false);
  });

  it('finds the hashes through the link entry on a replay after the profile is gone', async () => {
    const table = fakeSuppressionTable();
    table.set(`customer#${customerKey('c1', env.DSR_HASH_KEY)}`, { emailHashes: new Set(['e1']), phoneHashes: new Set(['p1']) });
    table.set('e1', { hash: 'e1', kind: 'email', suppressedAt: '2025-01-01T00:00:00.000Z' });
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({});
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [] });

    const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(keys).toEqual({ emailHashes: ['e1'], phoneHashes: ['p1'] });
    expect(table.get('e1')!.suppressedAt).toBe('2025-01-01T00:00:00.000Z');
  });
});
