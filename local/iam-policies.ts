import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { DATA_MAP, resourceName } from '../functions/core/data-map';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime';

/**
 * The IAM policies of the real stack, for the local runtime: the CDK stack is synthesized in-process
 * (bundling skipped), and each function's and state machine's role policies are extracted with every
 * CloudFormation token (Ref, Fn::GetAtt, Fn::Join, pseudo parameters) resolved to the ARNs of the
 * resources the local runtime provisions under the same names. The result is cached under
 * `node_modules/.cache/dsr-local-iam/`, keyed by a hash of what the policies are built from.
 */

/** An IAM policy document as synthesized. */
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[];
}

/** The identity policies of every principal of the stack, in local ARNs. */
export interface LocalIamPolicies {
  /** Policy documents by principal: `function:<function name>` or `stateMachine:<state machine name>`. */
  principals: Record<string, PolicyDocument[]>;
  /** The role name of each principal (for AWS-shaped denial messages). */
  roles: Record<string, string>;
  /** Each secret's ARN by the variable that names it (`DSR_HASH_KEY_SECRET_ARN`). */
  secretArns: Record<string, string>;
}

/** Options of `loadLocalIamPolicies`. */
export interface LoadPoliciesOptions {
  region: string;
  /** Event bus name the local functions use (the stack is synthesized with it). */
  eventBusName: string;
  /** Cache folder (default `node_modules/.cache/dsr-local-iam`). */
  cacheDir?: string;
}

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What the policies are built from: the catalog, the data map, the infra sources and settings, the ASL files, cdk.json, this file. */
const INPUT_PATHS = ['functions/catalog.ts', 'functions/core/data-map.ts', 'infra', 'statemachines', 'cdk.json', 'local/iam-policies.ts', 'node_modules/aws-cdk-lib/package.json'];

/**
 * The hash of the input files, read when this module loads, i.e. together with the catalog, data map and
 * infra modules the synthesis uses: a process that loaded them before a later edit never caches its
 * policies under the edited sources' hash.
 */
const sourcesHash = inputsHash();
sourcesHash.catch(() => undefined);

/** The stack's role policies in local ARNs, from the cache when the inputs are unchanged, else synthesized (several seconds). */
export async function loadLocalIamPolicies(options: LoadPoliciesOptions): Promise<LocalIamPolicies> {
  const storeNames = Object.fromEntries(DATA_MAP.map((store) => [store.id, resourceName(store)]));
  const parameters = JSON.stringify({ region: options.region, eventBusName: options.eventBusName, storeNames });
  const key = createHash('sha256').update(await sourcesHash).update(parameters).digest('hex').slice(0, 32);
  const cacheDir = options.cacheDir ?? join(REPOSITORY_ROOT, 'node_modules/.cache/dsr-local-iam');
  const file = join(cacheDir, `${key}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalIamPolicies;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const policies = await synthesizePolicies(options, storeNames);
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(policies));
  await rename(temporary, file);
  return policies;
}

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const path of INPUT_PATHS) {
    for (const file of await filesUnder(join(REPOSITORY_ROOT, path))) {
      hash.update(relative(REPOSITORY_ROOT, file)).update('\0').update(await readFile(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (!entries) return [path];
  const files = await Promise.all(entries.map((entry) => filesUnder(join(path, entry.name))));
  return files.flat().sort();
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Synthesizes the real stack without bundling and extracts the policies. */
async function synthesizePolicies(options: LoadPoliciesOptions, storeNames: Record<string, string>): Promise<LocalIamPolicies> {
  const [{ App, Stack }, { DsrStack }] = await Promise.all([import('aws-cdk-lib'), import('../infra/dsr-stack')]);
  const cdkJson = JSON.parse(await readFile(join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new DsrStack(app, 'DsrLocal', { settings: { eventBusName: options.eventBusName } });
  const names: Record<string, string> = {};
  for (const [storeId, store] of stack.stores.byId) {
    const construct = store.kind === 'table' ? store.table : store.bucket;
    if (!store.imported) names[Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)] = storeNames[storeId]!;
  }
  const template = app.synth().getStackByName(stack.stackName).template as Template;
  return extractPolicies(template, { region: options.region, names });
}

/** Options of `extractPolicies`. */
export interface ExtractOptions {
  region: string;
  /** Physical names of resources the template leaves unnamed, by logical id (the data map's table and bucket names). */
  names: Record<string, string>;
}

/** The role policies of every function and state machine of a synthesized template, tokens resolved to local ARNs. */
export function extractPolicies(template: Template, options: ExtractOptions): LocalIamPolicies {
  const resolveValue = tokenResolver(template, options);
  const resources = Object.entries(template.Resources);
  const policiesOfRole = (roleId: string): PolicyDocument[] => [
    ...resources
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy' && ((resource.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((role) => role.Ref === roleId))
      .map(([, resource]) => resolveValue(resource.Properties!.PolicyDocument) as PolicyDocument),
    ...(((template.Resources[roleId]?.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((policy) => resolveValue(policy.PolicyDocument) as PolicyDocument)),
  ];
  const roleIdOf = (value: unknown): string | undefined => (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  const principals: Record<string, PolicyDocument[]> = {};
  const roles: Record<string, string> = {};
  const secretArns: Record<string, string> = {};
  for (const [, resource] of resources) {
    const properties = resource.Properties ?? {};
    let principal: string | undefined;
    let roleId: string | undefined;
    if (resource.Type === 'AWS::Lambda::Function' && typeof properties.FunctionName === 'string') {
      principal = `function:${properties.FunctionName}`;
      roleId = roleIdOf(properties.Role);
      const variables = ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
      for (const [name, value] of Object.entries(variables)) if (name.endsWith('_SECRET_ARN')) secretArns[name] = String(resolveValue(value));
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine' && typeof properties.StateMachineName === 'string') {
      principal = `stateMachine:${properties.StateMachineName}`;
      roleId = roleIdOf(properties.RoleArn);
    }
    if (principal && roleId) {
      principals[principal] = policiesOfRole(roleId);
      roles[principal] = roleId;
    }
  }
  return { principals, roles, secretArns };
}

/** Resolves CloudFormation intrinsic functions to local values. */
function tokenResolver(template: Template, options: ExtractOptions): (value: unknown) => unknown {
  const { region, names } = options;
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': LOCAL_ACCOUNT_ID, 'AWS::URLSuffix': 'amazonaws.com' };
  const nameOf = (logicalId: string, property: string): string => {
    const value = template.Resources[logicalId]?.Properties?.[property];
    return typeof value === 'string' ? value : (names[logicalId] ?? logicalId);
  };
  const ref = (logicalId: string): string => {
    if (pseudo[logicalId]) return pseudo[logicalId];
    switch (template.Resources[logicalId]?.Type) {
      case 'AWS::DynamoDB::Table':
        return nameOf(logicalId, 'TableName');
      case 'AWS::S3::Bucket':
        return nameOf(logicalId, 'BucketName');
      case 'AWS::Lambda::Function':
        return nameOf(logicalId, 'FunctionName');
      case 'AWS::Events::EventBus':
        return nameOf(logicalId, 'Name');
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${nameOf(logicalId, 'StateMachineName')}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:${nameOf(logicalId, 'Name')}`;
      default:
        return `local-unresolved:${logicalId}`;
    }
  };
  const getAtt = (logicalId: string, attribute: string): string => {
    const type = template.Resources[logicalId]?.Type;
    if (attribute !== 'Arn') return `local-unresolved:${logicalId}.${attribute}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${ref(logicalId)}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${ref(logicalId)}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${ref(logicalId)}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${ref(logicalId)}`;
      case 'AWS::StepFunctions::StateMachine':
        return ref(logicalId);
      default:
        // KMS keys, log groups, roles: the local runtime makes no such calls, so they match nothing.
        return `arn:aws:local-unresolved:${region}:${LOCAL_ACCOUNT_ID}:${logicalId}`;
    }
  };
  const resolveValue = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolveValue);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [intrinsic] = keys as [string];
      const argument = object[intrinsic];
      if (intrinsic === 'Ref') return ref(String(argument));
      if (intrinsic === 'Fn::GetAtt') {
        const [logicalId, attribute] = (Array.isArray(argument) ? argument : String(argument).split('.')) as [string, string];
        return getAtt(logicalId, attribute);
      }
      if (intrinsic === 'Fn::Join') {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolveValue(parts) as unknown[]).join(separator);
      }
      if (intrinsic === 'Fn::Split') {
        const [separator, source] = argument as [string, unknown];
        return String(resolveValue(source)).split(separator);
      }
      if (intrinsic === 'Fn::Select') {
        const [index, list] = argument as [number | string, unknown];
        return (resolveValue(list) as unknown[])[Number(index)];
      }
      if (intrinsic.startsWith('Fn::')) return `local-unresolved:${intrinsic}`;
    }
    return Object.fromEntries(Object.entries(object).map(([key, entry]) => [key, resolveValue(entry)]));
  };
  return resolveValue;
}
