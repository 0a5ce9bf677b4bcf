import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client, type ServiceInputTypes as S3Input, type ServiceOutputTypes as S3Output } from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type ServiceInputTypes as DocInput,
  type ServiceOutputTypes as DocOutput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * In-memory stand-ins behind aws-sdk-client-mock stubs for the processing unit tests: an S3 bucket
 * (put, get, list by prefix) and DynamoDB tables keyed by their key attributes (get, put with the
 * conditions the processing steps use, set-style updates, delete, query by `customerId`, batch get and
 * batch write). Only what those steps send is understood; anything else fails the test.
 */

type Item = Record<string, unknown>;

/** A failed condition, shaped as DynamoDB answers it. */
const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });

/** A request DynamoDB refuses, shaped as it answers it. */
const validationFailed = (message: string) => Object.assign(new Error(message), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });

/**
 * Refuses expressions as DynamoDB does: an empty expression, a `#name` or `:value` placeholder that is
 * not defined, a defined one that no expression uses, and a `#name` that stands for an empty name.
 */
function validateExpressions(input: { ConditionExpression?: string; UpdateExpression?: string; KeyConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item }): void {
  const expressions = [input.ConditionExpression, input.UpdateExpression, input.KeyConditionExpression].filter((expression) => expression !== undefined);
  if (expressions.some((expression) => expression.trim() === '')) throw validationFailed('Invalid expression: The expression can not be empty');
  const empty = Object.entries(input.ExpressionAttributeNames ?? {}).find(([, name]) => name === '');
  if (empty) throw validationFailed(`ExpressionAttributeNames contains invalid value: Empty attribute name for key ${empty[0]}`);
  for (const [sigil, defined] of [['#', input.ExpressionAttributeNames], [':', input.ExpressionAttributeValues]] as const) {
    const used = new Set(expressions.flatMap((expression) => expression.match(new RegExp(`${sigil}\\w+`, 'g')) ?? []));
    const names = Object.keys(defined ?? {});
    const undefinedOne = [...used].find((name) => !names.includes(name));
    if (undefinedOne) throw validationFailed(`Invalid expression: An expression attribute placeholder used in an expression is not defined: ${undefinedOne}`);
    const unused = names.find((name) => !used.has(name));
    if (unused) throw validationFailed(`Value provided in expression attribute placeholders unused in expressions: ${unused}`);
  }
}

/** An S3 bucket in memory: `objects` by key. */
export function memoryBucket(s3Mock: AwsStub<S3Input, S3Output, S3Client['config']>): Map<string, string> {
  const objects = new Map<string, string>();
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string; IfNoneMatch?: string }) => {
    if (input.IfNoneMatch === '*' && objects.has(input.Key)) throw Object.assign(new Error('exists'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    objects.set(input.Key, String(input.Body));
    return {};
  });
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = objects.get(input.Key);
    if (text === undefined) throw Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return { Body: { transformToString: async () => text } };
  });
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({ Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })) }));
  return objects;
}

/** Key attributes of the tables the processing steps use. */
const KEYS: Record<string, string[]> = {
  'dsr-marketing-suppression': ['hash'],
  'dsr-customer-profile': ['customerId'],
  'dsr-marketing': ['customerId', 'entryId'],
  'dsr-smart-creation': ['customerId', 'entryId'],
};

/** Key attributes of each memory table set, by the names its tables have there. */
const keysOfTables = new WeakMap<Record<string, Map<string, Item>>, Record<string, string[]>>();

/**
 * DynamoDB tables in memory: each table's items by their JSON key. `renamed` gives some tables another
 * name (default name → name), as a deployment's `DSR_TABLE_*` settings do; a table is then known only
 * by its new name.
 */
export function memoryTables(docMock: AwsStub<DocInput, DocOutput, DynamoDBDocumentClient['config']>, renamed: Record<string, string> = {}): Record<string, Map<string, Item>> {
  const keys: Record<string, string[]> = Object.fromEntries(Object.entries(KEYS).map(([name, attributes]) => [renamed[name] ?? name, attributes]));
  const tables: Record<string, Map<string, Item>> = Object.fromEntries(Object.keys(keys).map((name) => [name, new Map<string, Item>()]));
  keysOfTables.set(tables, keys);
  const keyOf = (table: string, item: Item) => JSON.stringify(keys[table]!.map((attribute) => item[attribute]));
  const tableOf = (name: string) => {
    const table = tables[name];
    if (!table) throw new Error(`unknown table ${name}`);
    return table;
  };
  docMock.on(GetCommand).callsFake((input: { TableName: string; Key: Item }) => ({ Item: tableOf(input.TableName).get(keyOf(input.TableName, input.Key)) }));
  docMock.on(PutCommand).callsFake((input: { TableName: string; Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Item }) => {
    validateExpressions(input);
    const table = tableOf(input.TableName);
    const existing = table.get(keyOf(input.TableName, input.Item));
    if (input.ConditionExpression === 'attribute_not_exists(#hash)' && existing) throw conditionFailed();
    if (input.ConditionExpression === 'attribute_not_exists(#hash) OR requestId <> :requestId' && existing && existing.requestId === input.ExpressionAttributeValues![':requestId']) throw conditionFailed();
    table.set(keyOf(input.TableName, input.Item), input.Item);
    return {};
  });
  docMock.on(UpdateCommand).callsFake((input: { TableName: string; Key: Item; UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Item }) => {
    validateExpressions(input);
    const table = tableOf(input.TableName);
    const key = keyOf(input.TableName, input.Key);
    const existing = table.get(key);
    const values = input.ExpressionAttributeValues;
    if (input.ConditionExpression?.startsWith('attribute_exists(entryId) AND NOT')) {
      if (!existing || (existing.granted === values[':false'] && existing.source === values[':objection'])) throw conditionFailed();
    }
    const item: Item = { ...(existing ?? input.Key) };
    for (const assignment of input.UpdateExpression.replace(/^SET /, '').split(/, (?![^(]*\))/)) {
      const [rawName, expression] = assignment.split(' = ') as [string, string];
      const name = input.ExpressionAttributeNames?.[rawName] ?? rawName;
      const ifNotExists = /^if_not_exists\((\w+), (:\w+)\)$/.exec(expression);
      item[name] = ifNotExists ? (item[ifNotExists[1]!] ?? values[ifNotExists[2]!]) : values[expression];
    }
    table.set(key, item);
    return {};
  });
  docMock.on(DeleteCommand).callsFake((input: { TableName: string; Key: Item }) => {
    tableOf(input.TableName).delete(keyOf(input.TableName, input.Key));
    return {};
  });
  docMock.on(QueryCommand).callsFake((input: { TableName: string; KeyConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Item }) => {
    validateExpressions(input);
    return {
      Items: [...tableOf(input.TableName).values()].filter((item) => item.customerId === input.ExpressionAttributeValues[':value']).sort((a, b) => String(a.entryId).localeCompare(String(b.entryId))),
    };
  });
  docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => ({
    Responses: Object.fromEntries(Object.entries(input.RequestItems).map(([name, request]) => [name, request.Keys.flatMap((key) => tableOf(name).get(keyOf(name, key)) ?? [])])),
  }));
  docMock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, { DeleteRequest?: { Key: Item } }[]> }) => {
    for (const [name, requests] of Object.entries(input.RequestItems)) for (const request of requests) tableOf(name).delete(keyOf(name, request.DeleteRequest!.Key));
    return {};
  });
  return tables;
}

/** Puts items into a memory table by their key. */
export function putAll(tables: Record<string, Map<string, Item>>, name: string, items: Item[]): void {
  const keys = keysOfTables.get(tables) ?? KEYS;
  for (const item of items) tables[name]!.set(JSON.stringify(keys[name]!.map((attribute) => item[attribute])), item);
}
