import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, functionArnPlaceholder } from '../../functions/catalog';
import * as errors from '../../functions/core/errors';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { WORKFLOWS } from '../../functions/core/settings';
import { aslFiles } from '../../infra/workflows';

/**
 * The ASL conventions, executable: every task retries exactly the retryable error classes plus the
 * transient Lambda errors, every failure reaches the one failure path, and every task waits at least
 * as long as the function it invokes may run.
 */

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Parameters?: { FunctionName?: string; 'FunctionName.$'?: string };
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; ResultPath?: string; Next: string }[];
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
  Choices?: { Next: string }[];
  Default?: string;
}

/** The names of the error classes a retry can help (`retryable`), read from the classes themselves. */
function retryableErrorNames(): string[] {
  const classes = Object.values(errors as Record<string, unknown>).filter(
    (value): value is new (message: string) => errors.DsrError => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof errors.DsrError,
  );
  return classes
    .map((ErrorClass) => new ErrorClass('probe'))
    .filter((error) => error.retryable)
    .map((error) => error.name);
}

const RETRIED = [...retryableErrorNames(), ...errors.TRANSIENT_LAMBDA_ERRORS].sort();
const FAILURE_PATH = 'Record Failure';
const FILES = aslFiles(path.join(PROJECT_ROOT, 'statemachines'));

/** The functions a Task state may invoke: its placeholder's function, or the planner-chosen per-store ones. */
function invokedTimeouts(workflow: string, state: State): number[] {
  const placeholder = /^\$\{(\w+)\}$/.exec(state.Parameters?.FunctionName ?? '')?.[1];
  if (placeholder) return FUNCTIONS.filter((spec) => functionArnPlaceholder(spec.id) === placeholder).map((spec) => spec.timeoutSeconds);
  const prefixes: readonly string[] = WORKFLOWS.find((candidate) => candidate.name === workflow)!.dynamicFunctionPrefixes;
  return FUNCTIONS.filter((spec) => prefixes.some((prefix) => spec.id.startsWith(prefix))).map((spec) => spec.timeoutSeconds);
}

/** Every state with its scope (`top` or the Map/Parallel it runs in) and that scope's states. */
function walk(states: Record<string, State>, scope = 'top'): { name: string; state: State; scope: string; siblings: Record<string, State> }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state, scope, siblings: states },
    ...[state.ItemProcessor ?? state.Iterator, ...(state.Branches ?? [])].flatMap((inner) => (inner ? walk(inner.States, name) : [])),
  ]);
}

/** True when following `Next` (and every branch of a Choice) from `start` always ends in a Fail state. */
function endsInFail(states: Record<string, State>, start: string, seen = new Set<string>()): boolean {
  const state = states[start];
  if (!state || seen.has(start)) return false;
  seen.add(start);
  if (state.Type === 'Fail') return true;
  const next = state.Type === 'Choice' ? [...(state.Choices ?? []).map((choice) => choice.Next), ...(state.Default ? [state.Default] : [])] : state.Next ? [state.Next] : [];
  return next.length > 0 && next.every((name) => endsInFail(states, name, new Set(seen)));
}

describe.each(FILES.map(({ name, file }) => [name, file] as const))('%s ASL conventions', (workflow, file) => {
  const definition = JSON.parse(readFileSync(file, 'utf8')) as { States: Record<string, State> };
  const states = walk(definition.States);
  const tasks = states.filter(({ state }) => state.Type === 'Task');

  it('retries, in every task, exactly the retryable error classes and the transient Lambda errors', () => {
    // Act
    const lists = tasks.map(({ name, state }) => [name, (state.Retry ?? []).map((retrier) => [...retrier.ErrorEquals].sort())] as const);

    // Assert
    expect(RETRIED).toEqual(expect.arrayContaining(['StoreUnavailable', 'Lambda.ServiceException']));
    for (const [name, retriers] of lists) expect({ name, retriers }).toEqual({ name, retriers: [RETRIED] });
  });

  it('sends every failure of a top-level state to the one failure path', () => {
    // Act
    const failing = states.filter(({ scope, name, state }) => scope === 'top' && name !== FAILURE_PATH && ['Task', 'Map', 'Parallel'].includes(state.Type));

    // Assert
    expect(definition.States[FAILURE_PATH]).toMatchObject({ Type: 'Task', Next: 'Failed' });
    for (const { name, state } of failing) {
      expect({ name, catch: state.Catch }).toEqual({ name, catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAILURE_PATH }] });
    }
  });

  it('lets a failure inside a Map iteration only end the iteration in a Fail state (so the Map fails to the failure path)', () => {
    // Act
    const inner = states.filter(({ scope }) => scope !== 'top');

    // Assert
    for (const { name, state, siblings } of inner) {
      for (const target of (state.Catch ?? []).map((entry) => entry.Next)) expect({ name, target, endsInFail: endsInFail(siblings, target) }).toEqual({ name, target, endsInFail: true });
    }
  });

  it('gives every task a timeout of at least the timeout of each function it may invoke', () => {
    // Assert
    for (const { name, state } of tasks) {
      const timeouts = invokedTimeouts(workflow, state);
      expect(timeouts.length, name).toBeGreaterThan(0);
      expect({ name, timeout: state.TimeoutSeconds ?? 0 }).toEqual({ name, timeout: Math.max(state.TimeoutSeconds ?? 0, ...timeouts) });
    }
  });
});
