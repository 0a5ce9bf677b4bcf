import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../functions/core/erasure/bounded';
import { StoreFailed } from '../../functions/core/errors';
import { inFlight } from './helpers/in-flight';

describe('forEachBounded', () => {
  it('runs every item once, in item order, with at most `concurrency` in flight', async () => {
    // Arrange
    const tasks = inFlight();

    // Act
    await forEachBounded([1, 2, 3, 4, 5], 2, (item) => tasks.run(String(item), undefined, 5));

    // Assert
    expect(tasks.state.max).toBe(2);
    expect(tasks.state.events.filter((event) => event.startsWith('start'))).toEqual(['start 1', 'start 2', 'start 3', 'start 4', 'start 5']);
    expect(tasks.state.now).toBe(0);
  });

  it.each([0, -3])('runs one at a time for a concurrency of %i', async (concurrency) => {
    // Arrange
    const tasks = inFlight();

    // Act
    await forEachBounded([1, 2, 3], concurrency, (item) => tasks.run(String(item), undefined, 2));

    // Assert
    expect(tasks.state.max).toBe(1);
    expect(tasks.state.events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('starts no task after a failure and throws it once the running ones settled', async () => {
    // Arrange
    const tasks = inFlight();
    const failure = new StoreFailed('Store "orders": refused');

    // Act
    const attempt = forEachBounded([1, 2, 3, 4, 5, 6], 2, async (item) => {
      if (item === 2) throw failure;
      await tasks.run(String(item), undefined, 20);
    });

    // Assert
    await expect(attempt).rejects.toBe(failure);
    expect(tasks.state.now).toBe(0);
    expect(tasks.state.events).toEqual(['start 1', 'end 1']);
  });

  it('throws the first failure when several running tasks fail', async () => {
    // Arrange
    const first = new StoreFailed('first');
    const second = new StoreFailed('second');

    // Act
    const attempt = forEachBounded([first, second], 2, async (failure) => {
      if (failure === second) await new Promise((resolve) => setTimeout(resolve, 10));
      throw failure;
    });

    // Assert
    await expect(attempt).rejects.toBe(first);
  });

  it('resolves at once for no items', async () => {
    // Act
    const outcome = forEachBounded([], 4, async () => {
      throw new Error('never called');
    });

    // Assert
    await expect(outcome).resolves.toBeUndefined();
  });
});
