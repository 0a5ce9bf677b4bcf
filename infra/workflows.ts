import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascalCase, substitutionsFor, type FunctionSpec } from '../functions/catalog';
import { stateMachineName, type DsrFunctions } from './functions';
import { WORKFLOWS, workflowSpec, type WorkflowSpec } from '../functions/core/settings';
import type { DsrSettings } from './settings';
import type { DsrStores } from './stores';

/**
 * One Step Functions state machine per `statemachines/*.asl.json` file, named `<prefix>-<file name>`,
 * with every `${XFunctionArn}` placeholder substituted by the catalog function's ARN. Each machine's
 * role may invoke only the functions its definition references (plus the per-store functions a
 * planner picks, as declared in `WORKFLOWS`). A workflow with a `schedule` gets an EventBridge rule that
 * starts it; one with a Distributed Map may start its own child executions and read its item manifest
 * and write its results in the declared store, and nothing else there.
 */

/** Properties of the workflows construct. */
export interface DsrWorkflowsProps {
  catalog: readonly FunctionSpec[];
  functions: DsrFunctions;
  settings: DsrSettings;
  /** The stores a Distributed Map reads its items from and writes its results to. */
  stores: DsrStores;
  /** Folder holding the `*.asl.json` files. */
  stateMachinesDir: string;
}

/** The ASL files of a folder by workflow name (`export.asl.json` → `export`), sorted. */
export function aslFiles(dir: string): { name: string; file: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.asl.json'))
    .sort()
    .map((file) => ({ name: file.slice(0, -'.asl.json'.length), file: path.join(dir, file) }));
}

/** The catalog ids of the functions a workflow's role may invoke: its placeholders plus its declared per-store functions. */
export function invokedFunctionIds(workflow: string, definition: string, catalog: readonly FunctionSpec[]): string[] {
  const referenced = Object.values(substitutionsFor(definition, (id) => id, catalog));
  const prefixes: readonly string[] = WORKFLOWS.find((candidate) => candidate.name === workflow)?.dynamicFunctionPrefixes ?? [];
  const dynamic = definition.includes('"FunctionName.$"')
    ? catalog.filter((spec) => prefixes.some((prefix) => spec.id.startsWith(prefix))).map((spec) => spec.id)
    : [];
  return [...new Set([...referenced, ...dynamic])].sort();
}

/** The state machines by workflow name. */
export class DsrWorkflows extends Construct {
  /** The state machines by workflow name (`export`, `erasure`, ...). */
  readonly byName = new Map<string, sfn.StateMachine>();

  constructor(scope: Construct, id: string, props: DsrWorkflowsProps) {
    super(scope, id);
    for (const { name, file } of aslFiles(props.stateMachinesDir)) {
      const definition = readFileSync(file, 'utf8');
      const constructId = pascalCase(name);
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, { retention: props.settings.logRetentionDays });
      const machine = new sfn.StateMachine(this, constructId, {
        stateMachineName: stateMachineName(props.settings, name),
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromFile(file),
        definitionSubstitutions: substitutionsFor(definition, (fnId) => props.functions.get(fnId).functionArn, props.catalog),
        // Execution data holds customer ids; only state transitions and errors are logged.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
        tracingEnabled: true,
      });
      const invoked = invokedFunctionIds(name, definition, props.catalog).map((fnId) => props.functions.get(fnId).functionArn);
      if (invoked.length > 0) {
        machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked }));
      }
      const spec = workflowSpec(name);
      if (spec?.distributedMap) this.grantDistributedMap(machine, spec.distributedMap, name, props);
      if (spec?.schedule) {
        new events.Rule(this, `${constructId}Schedule`, {
          description: `Starts the ${name} workflow on ${spec.schedule}`,
          schedule: events.Schedule.expression(spec.schedule),
          targets: [new targets.SfnStateMachine(machine, { input: events.RuleTargetInput.fromObject({ dryRun: false }), retryAttempts: 4 })],
        });
      }
      this.byName.set(name, machine);
    }
  }

  /**
   * A Distributed Map's needs: start its child executions (of this very machine, by its fixed-name ARN so
   * the role does not depend on the machine), describe and stop them, read the item manifest and write
   * the results (multipart included) under the declared keys, with the store's key.
   */
  private grantDistributedMap(machine: sfn.StateMachine, map: NonNullable<WorkflowSpec['distributedMap']>, name: string, props: DsrWorkflowsProps): void {
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.functions.stateMachineArn(props.settings, name)] }));
    machine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [props.functions.executionsArn(props.settings, name)] }),
    );
    const store = props.stores.get(map.store);
    if (store.kind !== 'bucket') throw new Error(`The Distributed Map of ${name} needs a bucket, not store "${map.store}"`);
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [store.bucket.arnForObjects(map.itemReaderKeys)] }));
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [store.bucket.arnForObjects(map.resultWriterKeys)],
      }),
    );
    if (store.key) {
      machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [store.key.keyArn] }));
    }
  }
}
