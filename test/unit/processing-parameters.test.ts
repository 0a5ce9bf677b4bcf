import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  objectionParameters,
  purposeOfObjection,
  purposesOfScope,
  requireGroundToRestrict,
  restrictionFields,
  restrictionParameters,
} from '../../functions/core/processing/parameters';

describe('restriction and objection parameters', () => {
  const restrictionBody = z.object(restrictionFields).superRefine(requireGroundToRestrict);

  it('requires a ground to restrict, naming the field and the grounds, and not to lift', () => {
    // Act
    const missing = restrictionBody.safeParse({ action: 'restrict', scope: 'marketing' });
    const lifted = restrictionBody.safeParse({ action: 'lift', scope: 'all' });
    const restricted = restrictionBody.safeParse({ action: 'restrict', scope: 'all', ground: 'legal-claims' });

    // Assert
    expect(missing.success).toBe(false);
    expect(missing.error!.issues.map((issue) => [issue.code, issue.path.join('.'), issue.message])).toEqual([
      ['custom', 'ground', 'is required to restrict (one of accuracy-contested, unlawful-processing, legal-claims, objection-pending)'],
    ]);
    expect(lifted.data).toEqual({ action: 'lift', scope: 'all' });
    expect(restricted.data).toEqual({ action: 'restrict', scope: 'all', ground: 'legal-claims' });
  });

  it.each([
    ['action', { action: 'pause', scope: 'all' }, 'must be one of restrict, lift'],
    ['scope', { action: 'lift', scope: 'email' }, 'must be one of all, marketing, smart-creation'],
    ['ground', { action: 'restrict', scope: 'all', ground: 'annoyed' }, 'must be one of accuracy-contested, unlawful-processing, legal-claims, objection-pending'],
  ])('refuses an unknown %s with the values it accepts', (field, value, message) => {
    // Act
    const parsed = restrictionParameters.safeParse(value);

    // Assert
    expect(parsed.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([[field, message]]);
  });

  it('accepts the two objection purposes only', () => {
    expect(objectionParameters.parse({ purpose: 'smart-creation' })).toEqual({ purpose: 'smart-creation' });
    expect(objectionParameters.safeParse({ purpose: 'profiling' }).error!.issues[0]!.message).toBe('must be one of direct-marketing, smart-creation');
  });

  it('maps scopes and objections to the purposes the processing check answers', () => {
    expect(purposesOfScope('all')).toEqual(['marketing', 'smart-creation']);
    expect(purposesOfScope('marketing')).toEqual(['marketing']);
    expect(purposesOfScope('smart-creation')).toEqual(['smart-creation']);
    expect(purposeOfObjection('direct-marketing')).toBe('marketing');
    expect(purposeOfObjection('smart-creation')).toBe('smart-creation');
  });
});
