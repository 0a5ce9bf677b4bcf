import { describe, expect, it } from 'vitest';
import { planErasure } from '../../functions/core/erasure/plan';
import { ConfigurationError } from '../../functions/core/errors';

const STORES = ['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'exports'];

/** One configured function per erased store: `<prefix>-<store>`. */
function functions(prefix: string): Record<string, string> {
  return Object.fromEntries(STORES.map((id) => [id, `${prefix}-${id}`]));
}

describe('planErasure', () => {
  it('plans every erased store of the data map in order, with its action, eraser and collector', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan).toEqual({
      stores: STORES.map((store) => ({
        store,
        action: store === 'orders' ? 'anonymise-and-retain' : 'delete',
        eraseFunction: `erase-${store}`,
        collectFunction: `collect-${store}`,
      })),
    });
  });

  it.each([
    ['an absent', undefined],
    ['an empty', ''],
  ])('refuses %s eraser, naming the setting and the store', (_, eraser) => {
    const eraseFunctions: Record<string, string> = { ...functions('erase') };
    if (eraser === undefined) delete eraseFunctions.marketing;
    else eraseFunctions.marketing = eraser;

    const plan = () => planErasure({ eraseFunctions, collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan).toThrow(ConfigurationError);
    expect(plan).toThrow('DSR_ERASE_FUNCTIONS has no eraser for store "marketing"');
  });

  it.each([
    ['an absent', undefined],
    ['an empty', ''],
  ])('refuses %s collector, naming the setting and the store', (_, collector) => {
    const collectFunctions: Record<string, string> = { ...functions('collect') };
    if (collector === undefined) delete collectFunctions.exports;
    else collectFunctions.exports = collector;

    const plan = () => planErasure({ eraseFunctions: functions('erase'), collectFunctions }, { requestId: 'r1' });

    expect(plan).toThrow(ConfigurationError);
    expect(plan).toThrow('DSR_COLLECT_FUNCTIONS has no collector for store "exports"');
  });
});
