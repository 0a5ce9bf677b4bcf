import { describe, expect, it } from 'vitest';
import { planErasure, planErasureInput, planErasureOutput, plannedStoreSchema } from '../../functions/core/erasure/plan';
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

describe('plan-erasure contracts', () => {
  it('takes a request id and returns the planned stores as they are', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(planErasureInput.parse({ requestId: 'r1', customerId: 'c1' })).toStrictEqual({ requestId: 'r1' });
    expect(planErasureOutput.parse(plan)).toStrictEqual(plan);
  });

  it.each([
    ['an input without a request id', () => planErasureInput.parse({})],
    ['an output without stores', () => planErasureOutput.parse({})],
    ['a store that is not erased', () => plannedStoreSchema.parse({ store: 's', action: 'none', eraseFunction: 'e', collectFunction: 'c' })],
    ['a store without its collector', () => plannedStoreSchema.parse({ store: 's', action: 'delete', eraseFunction: 'e' })],
  ])('refuses %s', (_, parse) => {
    expect(parse).toThrow();
  });

  it.each(['delete', 'anonymise-and-retain'])('accepts the %s action', (action) => {
    expect(plannedStoreSchema.parse({ store: 's', action, eraseFunction: 'e', collectFunction: 'c' }).action).toBe(action);
  });
});

describe('planErasure', () => {
  const functions = (prefix: string) =>
    Object.fromEntries(
      ['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'exports'].map((id) => [id, `${prefix}-${id}`]),
    );

  it('plans every business store with its eraser and collector', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan.stores.map((store) => store.store)).toContain('photo-library');
    expect(plan.stores.find((store) => store.store === 'orders')).toEqual({
      store: 'orders',
      action: 'anonymise-and-retain',
      eraseFunction: 'erase-orders',
      collectFunction: 'collect-orders',
    });
  });

  it('never narrows the scope by brand: the photo library and the customer\'s exports are planned for every request', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan.stores.map((store) => store.store)).toEqual(['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'exports']);
    expect(plan.stores.at(-1)).toEqual({ store: 'exports', action: 'delete', eraseFunction: 'erase-exports', collectFunction: 'collect-exports' });
  });

  it('fails naming the store when an eraser is not configured', () => {
    const { marketing: _marketing, ...withoutMarketing } = functions('erase');

    expect(() => planErasure({ eraseFunctions: withoutMarketing, collectFunctions: functions('collect') }, { requestId: 'r1' })).toThrow(
      ConfigurationError,
    );
  });
});
