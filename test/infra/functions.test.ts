import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_MAP } from '../../functions/core/data-map';
import { buildStack, logicalId, roleReachMismatches, roleStatements, actionsOf, type Built } from './helpers';
import { FIXTURE_CATALOG } from './fixtures/catalog';
import { TRACE_SDK_CALLS_ENV } from '../../functions/shared/tracing';

/** One Lambda per catalog entry: runtime, sizing, environment, own least-privilege role, triggers. */

describe('functions from the catalog', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack();
  });

  it('creates one function per catalog entry, ARM64 nodejs22.x, traced, with its sizing and fixed name', () => {
    // Assert
    built.template.resourceCountIs('AWS::Lambda::Function', FIXTURE_CATALOG.length);
    for (const spec of FIXTURE_CATALOG) {
      const properties = built.template.toJSON().Resources[logicalId(built.stack, built.stack.functions.get(spec.id))].Properties;
      expect(properties).toMatchObject({
        FunctionName: `dsr-${spec.id}`,
        Handler: 'index.handler',
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('gives every function its own role and its own log group with retention', () => {
    // Act
    const roles = FIXTURE_CATALOG.map((spec) => logicalId(built.stack, built.stack.functions.get(spec.id).role!));

    // Assert
    expect(new Set(roles).size).toBe(FIXTURE_CATALOG.length);
    built.template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, FIXTURE_CATALOG.length + 3 /* 2 workflows + API access logs */);
    for (const role of roles) {
      expect(built.template.toJSON().Resources[role].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('gives every function the same environment (store names, settings, workflow ARNs, per-store function maps) plus the ARNs of the secrets it reads and its tracing', () => {
    // Act
    const environmentOf = (id: string) => built.template.toJSON().Resources[logicalId(built.stack, built.stack.functions.get(id))].Properties.Environment.Variables;
    const withoutSecrets = FIXTURE_CATALOG.map((spec) => {
      const { DSR_HASH_KEY_SECRET_ARN: _hash, DSR_CALLBACK_SECRET_ARN: _callback, [TRACE_SDK_CALLS_ENV]: _tracing, ...rest } = environmentOf(spec.id);
      return rest;
    });

    // Assert
    for (const environment of withoutSecrets) expect(environment).toEqual(withoutSecrets[0]);
    const environment = withoutSecrets[0];
    for (const store of DATA_MAP) expect(environment).toHaveProperty(store.resource.env);
    expect(environment).toMatchObject({
      DSR_EVENT_BUS_NAME: 'dsr',
      DSR_ERASURE_COOLING_OFF_SECONDS: '604800',
      DSR_DOWNLOAD_URL_TTL_SECONDS: '900',
      DSR_EXPORT_VOLUME_BYTES: String(2 * 1024 ** 3),
      POWERTOOLS_SERVICE_NAME: 'dsr',
    });
    expect(environment).not.toHaveProperty('DSR_S3_FORCE_PATH_STYLE');
    expect(JSON.stringify(environment.DSR_EXPORT_STATE_MACHINE_ARN)).toContain(':stateMachine:dsr-export');
    expect(JSON.stringify(environment.DSR_ERASURE_STATE_MACHINE_ARN)).toContain(':stateMachine:dsr-erasure');
    for (const spec of FIXTURE_CATALOG) {
      const variables = environmentOf(spec.id);
      expect(variables).not.toHaveProperty('DSR_HASH_KEY');
      expect(variables).not.toHaveProperty('DSR_CALLBACK_SECRET');
      expect(JSON.stringify(variables)).not.toContain('resolve:secretsmanager');
    }
    expect(environmentOf('api')).toMatchObject({ DSR_HASH_KEY_SECRET_ARN: { Ref: expect.stringMatching(/HashKey/) } });
    expect(environmentOf('api')).not.toHaveProperty('DSR_CALLBACK_SECRET_ARN');
    expect(environmentOf('deliver-callback')).toMatchObject({ DSR_CALLBACK_SECRET_ARN: { Ref: expect.stringMatching(/CallbackSecret/) } });
    expect(environmentOf('deliver-callback')).not.toHaveProperty('DSR_HASH_KEY_SECRET_ARN');
    expect(environmentOf('mark-in-progress')).not.toHaveProperty('DSR_HASH_KEY_SECRET_ARN');
    // Per-call tracing is off only where the catalog says the invocation alone is traced.
    expect(FIXTURE_CATALOG.filter((spec) => environmentOf(spec.id)[TRACE_SDK_CALLS_ENV] === 'false').map((spec) => spec.id)).toEqual(['build-volume']);
    expect(FIXTURE_CATALOG.filter((spec) => TRACE_SDK_CALLS_ENV in environmentOf(spec.id)).map((spec) => spec.id)).toEqual(['build-volume']);
  });

  it('lets each role read exactly the secrets its catalog entry declares, and no other secret', () => {
    // Act
    const template = built.template.toJSON();
    const secretReads = Object.values(template.Resources as Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: { Action: unknown; Resource: unknown }[] }; Roles?: { Ref: string }[] } }>)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((policy) =>
        policy.Properties.PolicyDocument!.Statement.filter((statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue')).map((statement) => ({
          role: policy.Properties.Roles![0]!.Ref,
          secret: JSON.stringify(statement.Resource),
        })),
      );

    // Assert
    const readsOf = (id: string) => {
      const role = logicalId(built.stack, built.stack.functions.get(id).role!);
      return secretReads.filter((read) => read.role === role).map((read) => (read.secret.includes('HashKey') ? 'hash-key' : read.secret.includes('CallbackSecret') ? 'callback-secret' : read.secret));
    };
    for (const spec of FIXTURE_CATALOG) expect(readsOf(spec.id).sort()).toEqual([...(spec.secrets ?? [])].sort());
    expect(readsOf('api')).toEqual(['hash-key']);
    expect(readsOf('deliver-callback')).toEqual(['callback-secret']);
    expect(readsOf('check-deadlines')).toEqual([]);
  });

  it('maps each store to its collector and eraser function ARN', () => {
    // Act
    const environment = built.template.toJSON().Resources[logicalId(built.stack, built.stack.functions.get('api'))].Properties.Environment.Variables;
    const collect = JSON.stringify(environment.DSR_COLLECT_FUNCTIONS);
    const erase = JSON.stringify(environment.DSR_ERASE_FUNCTIONS);

    // Assert
    for (const store of ['orders', 'contact-history', 'uploaded-photos']) expect(collect).toContain(`\\"${store}\\":\\"arn:`);
    expect(collect).toContain(':function:dsr-collect-orders');
    expect(erase).toContain(':function:dsr-erase-uploaded-photos');
    expect(erase).not.toContain('collect-');
  });

  it('lets each role reach exactly the stores, actions and key prefixes its catalog entry grants', () => {
    // Act
    const mismatches = roleReachMismatches(built, FIXTURE_CATALOG);

    // Assert
    expect(mismatches).toEqual([]);
  });

  it('keeps erasers from deleting certificates and collectors from writing source stores', () => {
    // Act
    const auditBucket = logicalId(built.stack, (built.stack.stores.get('audit') as { bucket: any }).bucket);
    const eraser = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('erase-uploaded-photos').role!));
    const collector = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('collect-orders').role!));

    // Assert
    expect(JSON.stringify(eraser)).not.toContain(auditBucket);
    const ordersTable = logicalId(built.stack, (built.stack.stores.get('orders') as { table: any }).table);
    const onOrders = collector.filter((statement) => JSON.stringify(statement.Resource).includes(ordersTable)).flatMap(actionsOf);
    expect(onOrders.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']);
  });

  it('grants workflow permissions on the fixed-name state machines, and the bus to every ledger writer', () => {
    // Act
    const api = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('api').role!));
    const step = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('mark-in-progress').role!));

    // Assert
    const apiText = JSON.stringify(api);
    expect(api.flatMap(actionsOf)).toEqual(expect.arrayContaining(['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution', 's3:GetObject']));
    expect(apiText).toContain(':stateMachine:dsr-export');
    expect(apiText).toContain(':execution:dsr-erasure:*');
    const bus = { 'Fn::GetAtt': [logicalId(built.stack, built.stack.node.findChild('Bus')), 'Arn'] };
    // A function that writes the ledger puts the status events of what it writes (the API's cancel included).
    for (const statements of [api, step]) {
      expect(statements.filter((statement) => actionsOf(statement).includes('events:PutEvents'))).toEqual([expect.objectContaining({ Resource: bus })]);
    }
    const reader = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('check-deadlines').role!));
    expect(JSON.stringify(reader)).not.toContain('events:PutEvents');
  });

  it('wires event triggers to a rule on the DSR bus and schedules to a schedule rule', () => {
    // Assert
    built.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'dsr' });
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(built.stack, built.stack.node.findChild('Bus')) },
      EventPattern: { source: ['dsr.request'], 'detail-type': ['Request Status Changed'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.functions.get('deliver-callback')), 'Arn'] } })],
    });
    built.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.functions.get('check-deadlines')), 'Arn'] } })],
    });
  });

  it('uses generated secrets for the hash key and callback secret unless names are configured', () => {
    // Arrange / Act
    const imported = buildStack({ settings: { hashKeySecretName: 'prod/dsr/hash-key', callbackSecretName: 'prod/dsr/callback' } });

    // Assert
    built.template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    imported.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const environment = JSON.stringify(imported.template.findResources('AWS::Lambda::Function'));
    expect(environment).toContain('secret:prod/dsr/hash-key');
  });
});
