import { describe, expect, it } from 'vitest';
import { brandRule, brandsOffering, CONSENT_SERVICES, CONSENT_WITHDRAWAL_METRICS, SERVICE_STORES } from '../../functions/core/consent-withdrawal';
import { getStore } from '../../functions/core/data-map';

describe('consent withdrawal', () => {
  it('withdraws consent for the photo library, whose data is its own store', () => {
    expect(CONSENT_SERVICES).toEqual(['photo-library']);
    expect(getStore(SERVICE_STORES['photo-library']).legalBasis).toMatch(/consent/i);
  });

  it('takes the brands offering a service from its store in the data map', () => {
    expect(brandsOffering('photo-library')).toEqual(['fotoknudsen', 'onskefoto']);
    expect(brandsOffering('photo-library')).toBe(getStore('photo-library').brands);
  });

  it('states the brand rule naming the brands', () => {
    expect(brandRule('photo-library')).toBe(
      'the photo-library service is offered only by fotoknudsen and onskefoto (its store\'s brands in the data map), so only their customers can withdraw consent for it',
    );
  });

  it('names its own deadline metrics', () => {
    expect(CONSENT_WITHDRAWAL_METRICS).toEqual({ overdue: 'OverdueConsentWithdrawals', dueSoon: 'DueSoonConsentWithdrawals' });
  });
});
