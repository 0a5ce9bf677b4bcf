import type { CustomerStoreId, PipelineStoreId } from './core/data-map';

/**
 * The function catalog: every Lambda function, its entry file, sizing and what its role may reach.
 * The CDK stack builds one NodejsFunction per entry and the local runtime runs the same entry
 * in-process, so both stay in step. Workflow ASL files refer to functions as `${<PascalId>FunctionArn}`
 * (e.g. `${RecordFailureFunctionArn}` for id `record-failure`).
 */

/** What a function's role may do on one store. */
export interface StoreGrant {
  store: CustomerStoreId | PipelineStoreId;
  /** read: get/query/scan/list; write: put/update (no delete); delete: delete only; read-write: all. */
  access: 'read' | 'write' | 'delete' | 'read-write';
  /** For buckets: restrict to this key prefix (e.g. `staging/`). */
  keyPrefix?: string;
}

/** A Lambda function of the pipeline. */
export interface FunctionSpec {
  /** kebab-case id, unique; also the local function name suffix. */
  id: string;
  /** Source file relative to the repository root, exporting `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Stores the role may reach. */
  stores: StoreGrant[];
  /** Other permissions by name, resolved by the stack (e.g. `start-executions`, `put-events`, `put-metrics`). */
  permissions?: ('start-executions' | 'describe-executions' | 'stop-executions' | 'put-events' | 'presign-exports')[];
  /** What invokes the function besides workflows: the HTTP API, an event rule, or a schedule. */
  triggers?: FunctionTrigger[];
}

/** A non-workflow invocation source; CDK builds the rule/API, the local runtime routes the same. */
export type FunctionTrigger =
  | { kind: 'http-api' }
  | { kind: 'event'; source: string; detailType: string }
  | { kind: 'schedule'; expression: string };

/** Every function of the pipeline. */
export const FUNCTIONS: FunctionSpec[] = [];

/** The catalog entry with the given id; throws for an unknown id. */
export function getFunction(id: string): FunctionSpec {
  const spec = FUNCTIONS.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`Unknown function "${id}"`);
  return spec;
}

/** PascalCase of a kebab-case id (`record-failure` → `RecordFailure`). */
export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The ASL placeholder name for a function's ARN (`record-failure` → `RecordFailureFunctionArn`). */
export function functionArnPlaceholder(id: string): string {
  return `${pascalCase(id)}FunctionArn`;
}

/** The `${...}` placeholder names used in an ASL definition text. */
export function placeholdersIn(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]!))].sort();
}

/**
 * Definition substitutions for an ASL text: each `${XFunctionArn}` placeholder maps to the ARN of the
 * catalog function whose id is the kebab-case of X. Throws for a placeholder with no function.
 */
export function substitutionsFor(definition: string, arnOf: (functionId: string) => string): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const placeholder of placeholdersIn(definition)) {
    const spec = FUNCTIONS.find((candidate) => functionArnPlaceholder(candidate.id) === placeholder);
    if (!spec) throw new Error(`ASL placeholder \${${placeholder}} names no catalog function`);
    substitutions[placeholder] = arnOf(spec.id);
  }
  return substitutions;
}
