import path from 'node:path';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { pascalCase, permissionsOf, resolveDetailFilter, type FunctionSpec, type SecretId } from '../functions/catalog';
import { storeStatements } from './grants';
import { functionEnvironment, REQUEST_WORKFLOWS } from '../functions/core/settings';
import { tracingEnvironment } from '../functions/shared/tracing';
import { EXPORTS_PREFIX, SECRET_ENV, type DsrSettings } from './settings';
import type { DsrStores } from './stores';

/** How every function is bundled (esbuild through NodejsFunction). */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  // Step Functions Retry/Catch match error names (`error.name` = the class name): names must survive bundling.
  keepNames: true,
  mainFields: ['module', 'main'],
  sourceMap: true,
  sourcesContent: false,
  externalModules: [],
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

/**
 * One NodejsFunction per catalog entry, each with its own role that reaches exactly the stores and
 * permissions the catalog grants it. Every function gets the same environment, plus the ARNs of the
 * secrets its catalog entry reads. Function and state
 * machine ARNs in that environment are built from their fixed names, not referenced, so the state
 * machines (which reference the functions) and the functions never form a dependency cycle.
 */

/** Properties of the functions construct. */
export interface DsrFunctionsProps {
  catalog: readonly FunctionSpec[];
  stores: DsrStores;
  settings: DsrSettings;
  /** Repository root: catalog entries are relative to it, and it holds package-lock.json. */
  projectRoot: string;
  eventBus: events.IEventBus;
  hashKeySecret: secretsmanager.ISecret;
  callbackSecret: secretsmanager.ISecret;
}

/** The physical name of a function: `<prefix>-<catalog id>`. */
export function functionName(settings: DsrSettings, id: string): string {
  const name = `${settings.prefix}-${id}`;
  if (name.length > 64) throw new Error(`Function name "${name}" is longer than 64 characters`);
  return name;
}

/** The physical name of a workflow's state machine: `<prefix>-<workflow>`. */
export function stateMachineName(settings: DsrSettings, workflow: string): string {
  return `${settings.prefix}-${workflow}`;
}

/** Every catalog function as a Lambda, with its role, log group and triggers. */
export class DsrFunctions extends Construct {
  /** The functions by catalog id. */
  readonly byId = new Map<string, NodejsFunction>();
  /** The catalog entries, in catalog order. */
  readonly specs: readonly FunctionSpec[];

  constructor(scope: Construct, id: string, props: DsrFunctionsProps) {
    super(scope, id);
    this.specs = props.catalog;
    const environment = this.environment(props);
    for (const spec of props.catalog) {
      this.byId.set(spec.id, this.createFunction(spec, props, environment));
    }
  }

  /** The function with the given catalog id; throws for an unknown id. */
  get(id: string): NodejsFunction {
    const fn = this.byId.get(id);
    if (!fn) throw new Error(`No function "${id}" in the catalog`);
    return fn;
  }

  /** The catalog functions that have a trigger of the given kind. */
  withTrigger(kind: 'http-api' | 'event' | 'schedule'): NodejsFunction[] {
    return this.specs.filter((spec) => spec.triggers?.some((trigger) => trigger.kind === kind)).map((spec) => this.get(spec.id));
  }

  /** The ARN of a function from its fixed name (no reference, so usable anywhere without cycles). */
  arnOf(settings: DsrSettings, id: string): string {
    return Stack.of(this).formatArn({ service: 'lambda', resource: 'function', resourceName: functionName(settings, id), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** The ARN of a workflow's state machine from its fixed name. */
  stateMachineArn(settings: DsrSettings, workflow: string): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName(settings, workflow),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** The ARN pattern of every execution of a workflow's state machine. */
  executionsArn(settings: DsrSettings, workflow: string): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName(settings, workflow)}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private environment(props: DsrFunctionsProps): Record<string, string> {
    const { settings } = props;
    const stack = Stack.of(this);
    const names = props.stores.environment();
    return {
      ...functionEnvironment({
        settings,
        catalog: props.catalog,
        storeName: (store) => names[store.resource.env]!,
        stateMachineArn: (workflow) => this.stateMachineArn(settings, workflow),
        functionArn: (id) => this.arnOf(settings, id),
        toJson: (value) => stack.toJsonString(value),
      }),
      NODE_OPTIONS: '--enable-source-maps',
    };
  }

  private createFunction(spec: FunctionSpec, props: DsrFunctionsProps, environment: Record<string, string>): NodejsFunction {
    const { settings } = props;
    const id = pascalCase(spec.id);
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Role of the DSR function ${spec.id}: only the stores and permissions its catalog entry grants`,
    });
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: settings.logRetentionDays });
    logGroup.grantWrite(role);
    for (const grant of spec.stores) {
      for (const statement of storeStatements(props.stores.get(grant.store), grant)) role.addToPrincipalPolicy(statement);
    }
    for (const statement of this.permissionStatements(spec, props)) role.addToPrincipalPolicy(statement);
    // Only the secrets the function reads: their ARNs in its environment (values fetched at cold start,
    // functions/shared/secrets.ts) and read access to exactly those.
    const secrets: Record<SecretId, { secret: secretsmanager.ISecret; env: string }> = {
      'hash-key': { secret: props.hashKeySecret, env: SECRET_ENV.hashKey },
      'callback-secret': { secret: props.callbackSecret, env: SECRET_ENV.callbackSecret },
    };
    const secretEnvironment: Record<string, string> = {};
    for (const id of spec.secrets ?? []) {
      secrets[id].secret.grantRead(role);
      secretEnvironment[secrets[id].env] = secrets[id].secret.secretArn;
    }

    const fn = new NodejsFunction(this, id, {
      functionName: functionName(settings, spec.id),
      description: spec.description.slice(0, 256),
      entry: path.join(props.projectRoot, spec.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(spec.timeoutSeconds),
      memorySize: spec.memoryMb,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...environment, ...secretEnvironment, ...tracingEnvironment(spec.tracing) },
      bundling: FUNCTION_BUNDLING,
    });

    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is pinned to the Node major the local runtime and tests use (the node devDependency), so what is tested is what runs.',
    });

    for (const [index, trigger] of (spec.triggers ?? []).entries()) {
      if (trigger.kind === 'event') {
        const onDefaultBus = trigger.bus === 'default';
        const detail = resolveDetailFilter(trigger, REQUEST_WORKFLOWS.map((workflow) => this.stateMachineArn(settings, workflow.name)));
        new events.Rule(this, `${id}Event${index}`, {
          // No eventBus: the account's default bus, where AWS services (Step Functions) publish.
          eventBus: onDefaultBus ? undefined : props.eventBus,
          description: `Invokes ${spec.id} on ${trigger.source} / ${trigger.detailType}${onDefaultBus ? ' (default bus)' : ''}`,
          eventPattern: { source: [trigger.source], detailType: [trigger.detailType], ...(detail ? { detail } : {}) },
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 4 })],
        });
      } else if (trigger.kind === 'schedule') {
        new events.Rule(this, `${id}Schedule${index}`, {
          description: `Runs ${spec.id} on ${trigger.expression}`,
          schedule: events.Schedule.expression(trigger.expression),
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 4 })],
        });
      }
    }

    return fn;
  }

  private permissionStatements(spec: FunctionSpec, props: DsrFunctionsProps): iam.PolicyStatement[] {
    const { settings } = props;
    // Functions start, follow and stop request workflows only; the scheduled ones start themselves.
    const machines = REQUEST_WORKFLOWS.map((workflow) => this.stateMachineArn(settings, workflow.name));
    const executions = REQUEST_WORKFLOWS.map((workflow) => this.executionsArn(settings, workflow.name));
    return permissionsOf(spec).flatMap((permission): iam.PolicyStatement[] => {
      switch (permission) {
        case 'start-executions':
          return [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: machines })];
        case 'describe-executions':
          return [
            new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: executions }),
            new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: machines }),
          ];
        case 'list-executions':
          return [new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: machines })];
        case 'stop-executions':
          return [new iam.PolicyStatement({ actions: ['states:StopExecution'], resources: executions })];
        case 'put-events':
          return [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.eventBus.eventBusArn] })];
        case 'presign-exports':
          return storeStatements(props.stores.get('exports'), { access: 'read', keyPrefix: EXPORTS_PREFIX }).filter((statement) =>
            statement.actions.every((action) => action !== 's3:ListBucket'),
          );
      }
    });
  }
}
