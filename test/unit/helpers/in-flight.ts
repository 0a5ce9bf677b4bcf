/** Waits `ms` milliseconds. */
export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts calls in flight of a slow fake; `events` logs starts and ends in order. */
export function inFlight() {
  const state = { now: 0, max: 0, events: [] as string[] };
  const run = async <T>(label: string, result: T, ms = 15): Promise<T> => {
    state.now += 1;
    state.max = Math.max(state.max, state.now);
    state.events.push(`start ${label}`);
    await wait(ms);
    state.now -= 1;
    state.events.push(`end ${label}`);
    return result;
  };
  return { state, run };
}
