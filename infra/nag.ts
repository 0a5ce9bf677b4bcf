import { Stack, Validations, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import { WORKFLOWS, type WorkflowSpec } from '../functions/core/settings';

/**
 * cdk-nag v3 acknowledges each `AwsSolutions-IAM5[...]` finding by its exact text, which embeds
 * logical ids. This aspect acknowledges a wildcard only when the statement that carries it belongs to
 * one of the justified kinds below; any other wildcard stays a finding and fails the nag test.
 */

interface WildcardKind {
  /** True when every action of the statement fits this kind. */
  actions: (action: string) => boolean;
  /** True when the flattened wildcard resource fits this kind. */
  resource: (resource: string) => boolean;
  reason: string;
}

/** Services whose actions AWS documents as supporting no resource-level permissions. */
const NO_RESOURCE_LEVEL = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** The wildcard kinds the DSR stack accepts, each with its reason. */
export const JUSTIFIED_WILDCARDS: readonly WildcardKind[] = [
  {
    actions: (action) => NO_RESOURCE_LEVEL.has(action),
    resource: (resource) => resource === '*',
    reason: 'X-Ray tracing and CloudWatch Logs delivery actions support no resource-level permissions (AWS documents Resource "*").',
  },
  {
    actions: (action) => /^s3:(GetObject|PutObject|AbortMultipartUpload|DeleteObject|DeleteObjectVersion)$/.test(action),
    resource: (resource) => /\/[A-Za-z0-9_\-/]*\*$/.test(resource) && !resource.startsWith('*'),
    reason:
      'Object-level S3 actions need a key wildcard; it is limited to the one bucket (and key prefix) the function catalog grants this role.',
  },
  {
    actions: (action) => /^s3:(GetObject|PutObject|AbortMultipartUpload|ListMultipartUploadParts)$/.test(action),
    resource: (resource) =>
      !resource.startsWith('*') &&
      (WORKFLOWS as readonly WorkflowSpec[]).some(({ distributedMap }) => distributedMap && [distributedMap.itemReaderKeys, distributedMap.resultWriterKeys].some((keys) => resource.endsWith(`/${keys}`))),
    reason:
      'A Distributed Map reads its run\'s item manifest and writes its results under the run\'s prefix (WORKFLOWS distributedMap); run ids are execution names, unknown at deploy time.',
  },
  {
    actions: (action) => /^states:(DescribeExecution|GetExecutionHistory|StopExecution)$/.test(action),
    resource: (resource) => /:states:[^*]*:execution:[a-z0-9-]+:\*$/.test(resource),
    reason: 'Execution names are request ids, unknown at deploy time; the wildcard is limited to executions of one DSR state machine.',
  },
];

interface ResolvedStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Acknowledges the justified IAM5 wildcard findings of every IAM policy in scope. */
export class JustifiedWildcards implements IAspect {
  /** Visits one construct; only IAM policies are inspected. */
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: ResolvedStatement[] };
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const actions = asArray(statement.Action);
      for (const resource of asArray(statement.Resource).map((reference) => flattenCfnReference(reference))) {
        if (!resource.includes('*')) continue;
        const kind = JUSTIFIED_WILDCARDS.find((candidate) => candidate.resource(resource) && actions.every(candidate.actions));
        if (kind) Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: kind.reason });
      }
    }
  }
}
