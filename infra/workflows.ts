import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascalCase, substitutionsFor, type FunctionSpec } from '../functions/catalog';
import { stateMachineName, type DsrFunctions } from './functions';
import { WORKFLOWS } from '../functions/core/settings';
import type { DsrSettings } from './settings';

/**
 * One Step Functions state machine per `statemachines/*.asl.json` file, named `<prefix>-<file name>`,
 * with every `${XFunctionArn}` placeholder substituted by the catalog function's ARN. Each machine's
 * role may invoke only the functions its definition references (plus the per-store functions a
 * planner picks, as declared in `WORKFLOWS`).
 */

/** Properties of the workflows construct. */
export interface DsrWorkflowsProps {
  catalog: readonly FunctionSpec[];
  functions: DsrFunctions;
  settings: DsrSettings;
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
      this.byName.set(name, machine);
    }
  }
}
