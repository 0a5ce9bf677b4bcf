import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { FUNCTIONS, functionArnPlaceholder, getFunction, type FunctionSpec } from '../../functions/catalog';
import { CUSTOMER_STORES, ERASED_STORES } from '../../functions/core/data-map';
import { workflowInputSchema } from '../../functions/core/workflow-input';
import type { StepContract } from '../../functions/shared/handler';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { aslFiles } from '../../infra/workflows';

/**
 * Ties the ASL to the TypeScript behind each step: every key a task's Payload sends is a key of the
 * invoked function's input schema, every `$.Payload.<key>` a ResultSelector reads is a key of its output
 * schema (declared next to the step that produces it), and every root-level field the states read is
 * a field of the workflow input or a result an earlier state wrote.
 */

interface State {
  Type: string;
  Parameters?: Record<string, unknown> & { FunctionName?: string; Payload?: Record<string, unknown> };
  ItemSelector?: Record<string, unknown>;
  ResultSelector?: Record<string, string>;
  ResultPath?: string | null;
  Catch?: { ResultPath?: string }[];
  ItemsPath?: string;
  Variable?: string;
  Choices?: { Variable?: string }[];
  TimestampPath?: string;
  ItemProcessor?: { States: Record<string, State> };
}

/** The keys a zod schema accepts at its top level (objects, and the options of a union). */
function keysOf(schema: z.ZodType): string[] {
  const def = (schema as unknown as { def: { type: string; shape?: Record<string, unknown>; options?: z.ZodType[]; in?: z.ZodType } }).def;
  if (def.type === 'object') return Object.keys(def.shape ?? {});
  if (def.type === 'union') return [...new Set((def.options ?? []).flatMap(keysOf))];
  if (def.type === 'pipe' && def.in) return keysOf(def.in);
  return [];
}

/** Every state of a definition, Map iterations included, with the name of the Map it runs in. */
function walk(states: Record<string, State>, map?: string): { name: string; state: State; map?: string }[] {
  return Object.entries(states).flatMap(([name, state]) => [{ name, state, map }, ...(state.ItemProcessor ? walk(state.ItemProcessor.States, name) : [])]);
}

/** The per-store functions a planner can choose in each store Map: export collectors, erasers, verifiers. */
const PLANNED: Record<string, string[]> = {
  'Collect Stores': CUSTOMER_STORES.map((store) => `collect-${store.id}`),
  'Erase Stores': ERASED_STORES.map((store) => `erase-${store.id}`),
  'Verify Stores': ERASED_STORES.map((store) => `collect-${store.id}`),
};

/** The catalog functions a Task may invoke: the one its placeholder names, or those the planner chooses in its Map. */
function invoked(state: State, map: string | undefined): FunctionSpec[] {
  const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Parameters?.FunctionName ?? ''))?.[1];
  if (placeholder) return FUNCTIONS.filter((spec) => functionArnPlaceholder(spec.id) === placeholder);
  const planned = PLANNED[map ?? ''];
  if (!planned) throw new Error(`No planned functions known for the Map "${map}"`);
  return planned.map(getFunction);
}

/** The root-level fields a state reads from its input (`$.x...` paths). */
function rootFieldsRead(state: State): string[] {
  const paths: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string' && value.startsWith('$.')) paths.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(state.Parameters);
  collect(state.ItemSelector);
  for (const path of [state.ItemsPath, state.Variable, state.TimestampPath, ...(state.Choices ?? []).map((choice) => choice.Variable)]) if (path) paths.push(path);
  return [...new Set(paths.map((path) => /^\$\.([A-Za-z0-9_]+)/.exec(path)?.[1]).filter((field): field is string => Boolean(field)))];
}

const contracts = new Map<string, StepContract>();

beforeAll(async () => {
  for (const spec of FUNCTIONS) {
    const module = (await import(path.join(PROJECT_ROOT, spec.entry))) as { handler: { contract?: StepContract } };
    if (module.handler.contract) contracts.set(spec.id, module.handler.contract);
  }
});

describe.each(aslFiles(path.join(PROJECT_ROOT, 'statemachines')).map(({ name, file }) => [name, file] as const))('%s steps and their schemas', (_workflow, file) => {
  const definition = JSON.parse(readFileSync(file, 'utf8')) as { States: Record<string, State> };
  const tasks = walk(definition.States).filter(({ state }) => state.Type === 'Task');

  it('sends each function only keys its input schema declares, and reads back only keys its output schema declares', () => {
    for (const { name, state, map } of tasks) {
      const payloadKeys = Object.keys(state.Parameters?.Payload ?? {}).map((key) => key.replace(/\.\$$/, ''));
      const resultKeys = Object.values(state.ResultSelector ?? {}).map((value) => /^\$\.Payload\.([A-Za-z0-9_]+)$/.exec(value)?.[1] ?? value);
      for (const spec of invoked(state, map)) {
        const contract = contracts.get(spec.id);
        expect(contract?.output, `${name} → ${spec.id} declares an output schema`).toBeDefined();
        const inputKeys = keysOf(contract!.input);
        const outputKeys = keysOf(contract!.output!);
        expect({ step: name, fn: spec.id, unknownInput: payloadKeys.filter((key) => !inputKeys.includes(key)) }).toEqual({ step: name, fn: spec.id, unknownInput: [] });
        expect({ step: name, fn: spec.id, unknownOutput: resultKeys.filter((key) => !outputKeys.includes(key)) }).toEqual({ step: name, fn: spec.id, unknownOutput: [] });
      }
    }
  });

  it('reads at the root only fields of the workflow input or results earlier states wrote', () => {
    // Arrange
    const top = walk(definition.States).filter(({ map }) => map === undefined);
    // A result written over the whole state (`ResultPath: "$"`, the retention planner) writes its ResultSelector's keys.
    const written = new Set([
      ...keysOf(workflowInputSchema),
      ...top.flatMap(({ state }) => (state.ResultPath === '$' ? Object.keys(state.ResultSelector ?? {}).map((key) => key.replace(/\.\$$/, '')) : [])),
      ...top.flatMap(({ state }) => [state.ResultPath, ...(state.Catch ?? []).map((entry) => entry.ResultPath)].flatMap((path) => (typeof path === 'string' && path !== '$' ? [path.replace(/^\$\./, '').split('.')[0]!] : []))),
    ]);

    // Act
    const unknown = top.flatMap(({ name, state }) => rootFieldsRead(state).filter((field) => !written.has(field)).map((field) => `${name}: $.${field}`));

    // Assert
    expect(unknown).toEqual([]);
  });
});
