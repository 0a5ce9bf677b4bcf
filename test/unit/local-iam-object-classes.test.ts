import { describe, expect, it } from 'vitest';
import { DATA_MAP, resourceName } from '../../functions/core/data-map';
import { LocalIam } from '../../local/iam-enforcement';
import { objectPatternsOf, objectResourceClass } from '../../local/iam-object-classes';
import { loadLocalIamPolicies } from '../../local/iam-policies';
import type { IamRequest } from '../../local/iam-requests';
import { LOCAL_EVENT_BUS, LOCAL_REGION } from '../../local/runtime';

/** A policy document of one statement per resource list. */
const policy = (...resources: unknown[][]) => [{ Statement: resources.map((Resource) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource })) }];

describe('objectPatternsOf', () => {
  it('keeps the patterns that can reach S3 objects as prefix or whole-ARN tests, and skips the others', () => {
    // Arrange
    const documents = policy(['arn:aws:s3:::exports/staging/*', 'arn:aws:s3:::exports', '*'], ['arn:aws:dynamodb:eu-west-1:1:table/t*/index/*']);

    // Act
    const patterns = objectPatternsOf(documents);

    // Assert
    expect(patterns).toEqual([
      { literal: 'arn:aws:s3:::exports/staging/', lowerLiteral: 'arn:aws:s3:::exports/staging/', prefix: true },
      { literal: 'arn:aws:s3:::exports', lowerLiteral: 'arn:aws:s3:::exports', prefix: false },
      { literal: '', lowerLiteral: '', prefix: true },
    ]);
  });

  it.each([
    ['a * inside', 'arn:aws:s3:::exports/retention/*/segments.json'],
    ['a ?', 'arn:aws:s3:::exports/file-?.json'],
    ['a policy variable', 'arn:aws:s3:::exports/${aws:username}/*'],
    ['two trailing wildcards', 'arn:aws:s3:::exports/**'],
    ['a wildcard before the resource part', 'arn:aws:s3:*:*:exports/*'],
  ])('gives no classes when a pattern that can reach objects has %s', (_case, pattern) => {
    expect(objectPatternsOf(policy(['arn:aws:s3:::exports/*', pattern]))).toBeUndefined();
  });

  it('gives no classes when a resource is not a string (an unresolved token)', () => {
    expect(objectPatternsOf(policy(['arn:aws:s3:::exports/*', { 'Fn::Join': ['', ['arn:aws:s3:::', 'x']] }]))).toBeUndefined();
  });
});

describe('objectResourceClass', () => {
  const patterns = objectPatternsOf(policy(['arn:aws:s3:::exports/staging/*', 'arn:aws:s3:::exports/exports/*', 'arn:aws:s3:::exports']));

  it('puts the objects a pattern tells apart in different classes and the others together', () => {
    // Act
    const classOf = (key: string) => objectResourceClass(patterns, `arn:aws:s3:::exports/${key}`);

    // Assert
    expect(classOf('staging/r1/plan.json')).toBe(classOf('staging/r2/volumes/3.files.json'));
    expect(classOf('staging/r1/plan.json')).not.toBe(classOf('exports/r1/archive.zip'));
    expect(classOf('staging/r1/plan.json')).not.toBe(classOf('other/r1.json'));
    expect(classOf('Staging/r1/plan.json')).not.toBe(classOf('staging/r1/plan.json'));
    expect(classOf('Staging/r1/plan.json')).not.toBe(classOf('other/r1.json'));
    expect(classOf('stagingx')).toBe(classOf('other/r1.json'));
  });

  it('keeps buckets apart and leaves anything but an object ARN unclassed', () => {
    expect(objectResourceClass(patterns, 'arn:aws:s3:::exports/staging/a')).not.toBe(objectResourceClass(patterns, 'arn:aws:s3:::exports2/staging/a'));
    expect(objectResourceClass(patterns, 'arn:aws:s3:::exports')).toBeUndefined();
    expect(objectResourceClass(patterns, 'arn:aws:s3:::exports/')).toBeUndefined();
    expect(objectResourceClass(patterns, 'arn:aws:dynamodb:eu-west-1:000000000000:table/exports')).toBeUndefined();
    expect(objectResourceClass(undefined, 'arn:aws:s3:::exports/staging/a')).toBeUndefined();
  });
});

describe('LocalIam with object classes', () => {
  it("decides every object of every bucket for every role of the stack as the simulation of that object alone does", async () => {
    // Arrange: the stack's policies, keys under every prefix the grants name and beside them
    const policies = await loadLocalIamPolicies({ region: LOCAL_REGION, eventBusName: LOCAL_EVENT_BUS });
    const keys = [
      'staging/r1/plan.json',
      'exports/r1/archive.zip',
      'Exports/r1/archive.zip',
      'retention/run-1/segments.json',
      'retention/run-1/results/manifest.json',
      'retention/run-1/expired/orders/0.json',
      'progress/r1/0001.json',
      'certificates/r1.json',
      'notifications/r1.json',
      'uploads/c1/photo 1+é.jpg',
      'recordings/c1/20250101T000000Z_call-1.wav',
      'other.txt',
    ];
    const requests: { principal: string; request: IamRequest }[] = [];
    for (const principal of Object.keys(policies.principals)) {
      for (const store of DATA_MAP.filter((candidate) => candidate.kind === 's3-bucket')) {
        for (const key of keys) {
          for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) requests.push({ principal, request: { action, resource: `arn:aws:s3:::${resourceName(store)}/${key}` } });
        }
      }
    }
    const classed = new LocalIam(policies);
    const alone = new LocalIam(policies, { objectClasses: false });

    // Act
    const decisions = await Promise.all(requests.map(async ({ principal, request }) => [await classed.allows(principal, request), await alone.allows(principal, request)]));

    // Assert: the same decision for each, and both kinds of decision occur
    const differing = requests.filter((_request, index) => decisions[index]![0] !== decisions[index]![1]);
    expect(differing).toEqual([]);
    expect(new Set(decisions.map(([decision]) => decision))).toEqual(new Set([true, false]));
  }, 120_000);
});
