import { vi } from 'vitest';

/** A CloudWatch embedded-metric-format record as Powertools prints it (`_aws` and the metric values). */
export type EmfRecord = { _aws: { CloudWatchMetrics: { Namespace: string }[] } } & Record<string, unknown>;

/**
 * Runs `act` with standard output captured and gives back its result and the embedded-metric-format
 * records printed meanwhile (the JSON lines with `_aws`); standard output is restored even when `act` fails.
 */
export async function withEmittedMetrics<T>(act: () => Promise<T>): Promise<{ result: T; records: EmfRecord[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')));
    return true;
  });
  try {
    const result = await act();
    const records = lines.map((line) => JSON.parse(line) as Partial<EmfRecord>).filter((entry): entry is EmfRecord => entry._aws !== undefined);
    return { result, records };
  } finally {
    spy.mockRestore();
  }
}
