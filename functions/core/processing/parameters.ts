import { z } from 'zod';

/**
 * What a restriction (Art. 18) or an objection (Art. 21) request asks for, declared once: the create
 * bodies of the API (`api-contract.ts`), the ledger record (`ledger.ts`) and the workflow steps that
 * read it back from the record all use these schemas. None of it is personal data.
 */

/** What a restriction request does: restrict processing, or lift an earlier restriction. */
export const RESTRICTION_ACTIONS = ['restrict', 'lift'] as const;

/** The processing a restriction covers: everything, direct marketing, or the smart-creation tracking of product edits. */
export const RESTRICTION_SCOPES = ['all', 'marketing', 'smart-creation'] as const;

/** The grounds of Art. 18(1)(a)-(d). */
export const RESTRICTION_GROUNDS = ['accuracy-contested', 'unlawful-processing', 'legal-claims', 'objection-pending'] as const;

/** What an objection is against: direct marketing (absolute, Art. 21(2)-(3)) or the legitimate-interest tracking of product edits (Art. 21(1)). */
export const OBJECTION_PURPOSES = ['direct-marketing', 'smart-creation'] as const;

/** The purposes another system asks the processing check about. */
export const PROCESSING_PURPOSES = ['marketing', 'smart-creation'] as const;

/** Why a contact point is suppressed: its customer was erased, or objected to direct marketing. */
export const SUPPRESSION_REASONS = ['erasure', 'objection'] as const;

/** A suppression reason. */
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Why the processing check refuses a purpose: the customer was erased, restricted it, or objected to it. */
export const REFUSAL_KINDS = ['erasure', 'restriction', 'objection'] as const;

/** Most emails and phones one suppression check may carry, together. */
export const MAX_SUPPRESSION_CHECK_CONTACTS = 1000;

/** A purpose another system asks the processing check about. */
export type ProcessingPurpose = (typeof PROCESSING_PURPOSES)[number];

/** A restriction scope. */
export type RestrictionScope = (typeof RESTRICTION_SCOPES)[number];

/** A restriction ground. */
export type RestrictionGround = (typeof RESTRICTION_GROUNDS)[number];

/** An objection purpose. */
export type ObjectionPurpose = (typeof OBJECTION_PURPOSES)[number];

const oneOf = (values: readonly string[]) => ({ error: `must be one of ${values.join(', ')}` });

/** The fields of a restriction request (`ground` is required to restrict, optional to lift). */
export const restrictionFields = {
  action: z.enum(RESTRICTION_ACTIONS, oneOf(RESTRICTION_ACTIONS)).describe('restrict: record the restriction; lift: remove it (lift `all` removes every restriction of the customer)'),
  scope: z.enum(RESTRICTION_SCOPES, oneOf(RESTRICTION_SCOPES)).describe('The processing restricted'),
  ground: z.enum(RESTRICTION_GROUNDS, oneOf(RESTRICTION_GROUNDS)).optional().describe('Art. 18(1) ground; required when action is restrict'),
};

/** The fields of an objection request. */
export const objectionFields = {
  purpose: z.enum(OBJECTION_PURPOSES, oneOf(OBJECTION_PURPOSES)).describe('direct-marketing (absolute, Art. 21(3)) or smart-creation (the tracking of product edits)'),
};

/** A restriction as the ledger record keeps it. */
export const restrictionParameters = z.strictObject(restrictionFields);

/** A restriction as the ledger record keeps it. */
export type RestrictionParameters = z.infer<typeof restrictionParameters>;

/** An objection as the ledger record keeps it. */
export const objectionParameters = z.strictObject(objectionFields);

/** An objection as the ledger record keeps it. */
export type ObjectionParameters = z.infer<typeof objectionParameters>;

/** Adds an issue on `ground` when a restriction is asked for without one (a zod `superRefine` check). */
export function requireGroundToRestrict(value: { action: string; ground?: string }, context: z.RefinementCtx): void {
  if (value.action === 'restrict' && value.ground === undefined) {
    context.addIssue({ code: 'custom', path: ['ground'], message: `is required to restrict (one of ${RESTRICTION_GROUNDS.join(', ')})` });
  }
}

/** The processing purposes a restriction scope covers. */
export function purposesOfScope(scope: RestrictionScope): ProcessingPurpose[] {
  return scope === 'all' ? [...PROCESSING_PURPOSES] : [scope];
}

/** The processing purpose an objection refuses. */
export function purposeOfObjection(purpose: ObjectionPurpose): ProcessingPurpose {
  return purpose === 'direct-marketing' ? 'marketing' : 'smart-creation';
}
