import type { Brand } from './brands';
import { getStore, type CustomerStoreId } from './data-map';

/**
 * Withdrawal of consent (GDPR Art. 7(3)) for a service that runs on consent: the photo library
 * (minnebanken, minbildbank). Only the brands that offer the service (the `brands` of its store in the
 * data map) accept it; the withdrawal erases that one store and leaves the account, orders and uploaded
 * photos. Due "as soon as possible" (privacy statement, section 4): a target in hours, not a month.
 */

/** The services whose consent can be withdrawn. */
export const CONSENT_SERVICES = ['photo-library'] as const;

/** A service whose consent can be withdrawn. */
export type ConsentService = (typeof CONSENT_SERVICES)[number];

/** The store holding each service's data: a withdrawal erases it alone. */
export const SERVICE_STORES: Record<ConsentService, CustomerStoreId> = { 'photo-library': 'photo-library' };

/** The brands that offer a service: its store's `brands` in the data map. */
export function brandsOffering(service: ConsentService): readonly Brand[] {
  return getStore(SERVICE_STORES[service]).brands;
}

/** The brand rule of a withdrawal as the API states it when refusing one. */
export function brandRule(service: ConsentService): string {
  return `the ${service} service is offered only by ${brandsOffering(service).join(' and ')} (its store's brands in the data map), so only their customers can withdraw consent for it`;
}

/** The deadline metrics of consent withdrawals alone (namespace `DSR`, beside the totals of every type). */
export const CONSENT_WITHDRAWAL_METRICS = { overdue: 'OverdueConsentWithdrawals', dueSoon: 'DueSoonConsentWithdrawals' } as const;
