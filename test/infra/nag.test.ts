import { describe, expect, it } from 'vitest';
import { buildStack, nagFindings } from './helpers';

/** cdk-nag AwsSolutions: zero unacknowledged findings, with created and with imported stores. */

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack with created stores', () => {
    // Arrange
    const { app } = buildStack();

    // Act
    const findings = nagFindings(app);

    // Assert
    expect(findings).toEqual([]);
  });

  it('finds nothing unacknowledged with imported stores and configured secrets', () => {
    // Arrange
    const { app } = buildStack(
      { settings: { hashKeySecretName: 'prod/dsr/hash-key', callbackSecretName: 'prod/dsr/callback', alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:ops' } },
      { importExisting: true },
    );

    // Act
    const findings = nagFindings(app);

    // Assert
    expect(findings).toEqual([]);
  });
});
