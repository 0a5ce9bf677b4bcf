import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { FunctionSpec, StoreGrant } from '../../functions/catalog';
import { DsrStack, PROJECT_ROOT, type DsrStackProps } from '../../infra/dsr-stack';
import { FIXTURE_CATALOG } from './fixtures/catalog';

/**
 * Shared helpers of the infra tests: build the stack without bundling (fast), find a function's role
 * policies, and tell which stores a policy statement reaches.
 */

/** The context of cdk.json (feature flags), so tests build what `cdk synth` builds. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

/** Folder of the fixture ASL files. */
export const FIXTURE_STATEMACHINES = path.join(PROJECT_ROOT, 'test/infra/fixtures/statemachines');

/** A synthesized stack with its template. */
export interface Built {
  app: App;
  stack: DsrStack;
  template: Template;
}

/** Builds the DSR stack with bundling skipped; defaults to the fixture catalog and fixture ASL files. */
export function buildStack(props: DsrStackProps = {}, context: Record<string, unknown> = {}): Built {
  const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new DsrStack(app, 'Dsr', { catalog: FIXTURE_CATALOG, stateMachinesDir: FIXTURE_STATEMACHINES, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** cdk-nag AwsSolutions findings that are not acknowledged (each as `rule at path`). */
export function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** One IAM statement as synthesized. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every IAM policy attached to the role with the given logical id. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** The actions of a statement as a list. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The store ids whose table or bucket (by logical id or imported name) a statement's resources mention. */
export function storesReached(stack: DsrStack, statement: Statement): string[] {
  const text = JSON.stringify(statement.Resource);
  const reached: string[] = [];
  for (const [id, resource] of stack.stores.byId) {
    const construct = resource.kind === 'table' ? resource.table : resource.bucket;
    const marker = resource.imported
      ? resource.kind === 'table'
        ? `:table/${stack.resolve(resource.table.tableName)}`
        : `:::${stack.resolve(resource.bucket.bucketName)}`
      : `"${logicalId(stack, construct)}"`;
    if (text.includes(marker)) reached.push(id);
  }
  return reached;
}

/** Actions that change or delete data, per access level, named literally (independent of infra/grants.ts). */
export const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 's3:PutObject'];
/** Actions that delete data. */
export const DELETE_ACTIONS = ['dynamodb:DeleteItem', 's3:DeleteObject', 's3:DeleteObjectVersion'];
/** Actions that read data. */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject'];

/** Bucket-level actions that read the bucket's own state, not objects (no key prefix applies). */
export const BUCKET_STATE_ACTIONS = ['s3:GetBucketVersioning'];

/** True when a grant includes the level. */
export function grants(grant: StoreGrant, level: 'read' | 'write' | 'delete'): boolean {
  return grant.access === level || grant.access === 'read-write';
}

/** What a catalog entry should reach: its store grants, plus GetObject on `exports/` for `presign-exports`. */
export function expectedGrants(spec: FunctionSpec): StoreGrant[] {
  const presign: StoreGrant[] = spec.permissions?.includes('presign-exports') ? [{ store: 'exports', access: 'read', keyPrefix: 'exports/' }] : [];
  return [...spec.stores, ...presign];
}

/**
 * Differences between what each function's role reaches in the template and what its catalog entry
 * grants: stores reached without a grant, granted stores not reached, read/write/delete actions present
 * without the grant (or missing with it), and object access outside a granted key prefix.
 */
export function roleReachMismatches(built: Built, catalog: readonly FunctionSpec[]): string[] {
  const mismatches: string[] = [];
  for (const spec of catalog) {
    const role = built.stack.functions.get(spec.id).role!;
    const statements = roleStatements(built.template, logicalId(built.stack, role));
    const expected = expectedGrants(spec);
    const reached = new Map<string, Statement[]>();
    for (const statement of statements) {
      for (const store of storesReached(built.stack, statement)) reached.set(store, [...(reached.get(store) ?? []), statement]);
    }
    const expectedStores = new Set(expected.map((grant) => grant.store));
    for (const store of reached.keys()) if (!expectedStores.has(store as StoreGrant['store'])) mismatches.push(`${spec.id} reaches ungranted ${store}`);
    for (const store of expectedStores) {
      const storeStatements = reached.get(store) ?? [];
      if (storeStatements.length === 0) mismatches.push(`${spec.id} cannot reach granted ${store}`);
      const storeGrants = expected.filter((grant) => grant.store === store);
      const actions = new Set(storeStatements.flatMap(actionsOf));
      for (const [level, list] of [['read', READ_ACTIONS], ['write', WRITE_ACTIONS], ['delete', DELETE_ACTIONS]] as const) {
        const granted = storeGrants.some((grant) => grants(grant, level));
        const present = list.filter((action) => actions.has(action));
        if (!granted && present.length > 0) mismatches.push(`${spec.id} has ${present.join(',')} on ${store} without a ${level} grant`);
        if (granted && present.length === 0) mismatches.push(`${spec.id} lacks ${level} actions on ${store}`);
      }
      if (storeGrants.every((grant) => grant.keyPrefix)) {
        const prefixes = storeGrants.map((grant) => `/${grant.keyPrefix}*`);
        for (const statement of storeStatements.filter((candidate) => actionsOf(candidate).some((action) => action.startsWith('s3:') && !action.startsWith('s3:List') && !BUCKET_STATE_ACTIONS.includes(action)))) {
          const text = JSON.stringify(statement.Resource);
          if (!prefixes.some((prefix) => text.includes(`${prefix}"`))) mismatches.push(`${spec.id} has object access on ${store} outside ${prefixes.join(' ')}`);
        }
      }
    }
    if (statements.some((statement) => actionsOf(statement).some((action) => action.endsWith(':*')))) mismatches.push(`${spec.id} has a service-wide action`);
  }
  return mismatches;
}
