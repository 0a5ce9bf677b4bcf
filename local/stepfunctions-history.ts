/**
 * Translates aws-local-stepfunctions' event log into Step Functions history events in the AWS shapes
 * (`MapStateEntered`, `MapIterationStarted`, `TaskStateExited`, ...). Task invocation events
 * (`TaskScheduled`, `TaskSucceeded`, ...) and the execution's own start/end events are recorded by the
 * server itself, so they are not produced here.
 */

/** A history event without its id, previous id and timestamp. */
export interface HistoryEventDraft {
  type: string;
  [details: string]: unknown;
}

/** The library's event, reduced to the fields used here. */
export interface LibraryEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string; input?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/** What the translation needs to know about a state machine. */
export interface HistoryContext {
  mapStates: Map<string, { InputPath?: string | null; ItemsPath?: string }>;
  /** Distributed Map states, which run as Task states locally (local/distributed-map.ts) and are recorded as Map states. */
  distributedMaps?: ReadonlyMap<string, unknown>;
}

/** The AWS history events for one library event (possibly none). */
export function toHistoryEvents(event: LibraryEvent, machine: HistoryContext): HistoryEventDraft[] {
  const state = event.state && machine.distributedMaps?.has(event.state.name) ? { ...event.state, type: 'Map' } : event.state;
  switch (event.type) {
    case 'StateEntered': {
      if (!state) return [];
      const entered = {
        type: `${state.type}StateEntered`,
        stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null), inputDetails: { truncated: false } },
      };
      if (state.type === 'Map') {
        const length = mapLength(machine.mapStates.get(state.name), state.input);
        return [entered, { type: 'MapStateStarted', mapStateStartedEventDetails: length === undefined ? {} : { length } }];
      }
      if (state.type === 'Parallel') return [entered, { type: 'ParallelStateStarted' }];
      return [entered];
    }
    case 'StateExited': {
      if (!state) return [];
      const exited = {
        type: `${state.type}StateExited`,
        stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null), outputDetails: { truncated: false } },
      };
      if (state.type === 'Map') return [{ type: 'MapStateSucceeded' }, exited];
      if (state.type === 'Parallel') return [{ type: 'ParallelStateSucceeded' }, exited];
      return [exited];
    }
    case 'StateFailed': {
      if (!state) return [];
      if (state.type === 'Map') return [{ type: 'MapStateFailed' }];
      if (state.type === 'Parallel') return [{ type: 'ParallelStateFailed' }];
      if (state.type === 'Task' && event.Error === 'States.Timeout') {
        return [{ type: 'TaskTimedOut', taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout', cause: 'The task timed out (TimeoutSeconds)' } }];
      }
      return [];
    }
    case 'MapIterationStarted':
      return [{ type: 'MapIterationStarted', mapIterationStartedEventDetails: { name: event.parentState?.name, index: event.index } }];
    case 'MapIterationSucceeded':
      return [{ type: 'MapIterationSucceeded', mapIterationSucceededEventDetails: { name: event.parentState?.name, index: event.index } }];
    case 'MapIterationFailed':
      return [{ type: 'MapIterationFailed', mapIterationFailedEventDetails: { name: event.parentState?.name, index: event.index } }];
    default:
      return [];
  }
}

/** Number of Map items when InputPath/ItemsPath are simple dotted paths (`$.a.b`); otherwise unknown. */
function mapLength(map: { InputPath?: string | null; ItemsPath?: string } | undefined, input: unknown): number | undefined {
  const effective = map?.InputPath ? simplePath(map.InputPath, input) : input;
  const items = map?.ItemsPath ? simplePath(map.ItemsPath, effective) : effective;
  return Array.isArray(items) ? items.length : undefined;
}

function simplePath(path: string, value: unknown): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(path)) return undefined;
  return path
    .split('.')
    .slice(1)
    .reduce<unknown>((current, key) => (current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined), value);
}
