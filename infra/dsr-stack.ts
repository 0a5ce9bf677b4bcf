import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aspects, CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { FUNCTIONS, type FunctionSpec } from '../functions/catalog';
import { DATA_MAP, type StoreDefinition } from '../functions/core/data-map';
import { DsrApi } from './api';
import { DsrFunctions } from './functions';
import { JustifiedWildcards } from './nag';
import { DsrObservability } from './observability';
import { DsrRecipients } from './recipients';
import { resolveSettings, type DsrSettings, type DsrSettingsInput } from './settings';
import { DsrStores } from './stores';
import { DsrWorkflows } from './workflows';

/** The repository root (infra/..). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Properties of the DSR stack; the declarative sources default to the real ones. */
export interface DsrStackProps extends StackProps {
  /** Settings overriding context (`-c key=value`) and defaults. */
  settings?: DsrSettingsInput;
  /** The data map (default: functions/core/data-map.ts). */
  dataMap?: readonly StoreDefinition[];
  /** The function catalog (default: functions/catalog.ts). */
  catalog?: readonly FunctionSpec[];
  /** Folder of the `*.asl.json` workflows (default: statemachines/). */
  stateMachinesDir?: string;
  /** Root that catalog entries are relative to and that holds package-lock.json (default: the repository). */
  projectRoot?: string;
}

/** The whole pipeline: stores, functions, workflows, API, bus, secrets and alarms, built from the declarative sources. */
export class DsrStack extends Stack {
  /** The resolved settings (props over context over defaults). */
  readonly settings: DsrSettings;
  /** Tables, buckets, KMS key and access-log bucket of the data map. */
  readonly stores: DsrStores;
  /** One Lambda per catalog entry. */
  readonly functions: DsrFunctions;
  /** One state machine per ASL file. */
  readonly workflows: DsrWorkflows;
  /** The request API, when the catalog has an `http-api` function. */
  readonly api?: DsrApi;
  /** The Art. 19 channels: a rule, queue and dead-letter queue per notified recipient. */
  readonly recipients: DsrRecipients;
  /** The alarms. */
  readonly observability: DsrObservability;

  constructor(scope: Construct, id: string, props: DsrStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings((key) => this.node.tryGetContext(key), props.settings);
    this.settings = settings;
    const catalog = props.catalog ?? FUNCTIONS;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;

    this.stores = new DsrStores(this, 'Stores', { dataMap: props.dataMap ?? DATA_MAP, settings });
    const eventBus = new events.EventBus(this, 'Bus', { eventBusName: settings.eventBusName });
    const hashKeySecret = this.secret('HashKey', settings.hashKeySecretName, 'Key of the keyed hashes (HMAC-SHA256) of customer ids, emails and phones');
    const callbackSecret = this.secret('CallbackSecret', settings.callbackSecretName, 'HMAC-SHA256 secret of the X-DSR-Signature callback header');

    this.functions = new DsrFunctions(this, 'Functions', { catalog, stores: this.stores, settings, projectRoot, eventBus, hashKeySecret, callbackSecret });
    this.workflows = new DsrWorkflows(this, 'Workflows', {
      catalog,
      functions: this.functions,
      settings,
      stores: this.stores,
      stateMachinesDir: props.stateMachinesDir ?? path.join(projectRoot, 'statemachines'),
    });

    const apiHandlers = this.functions.withTrigger('http-api');
    if (apiHandlers.length > 1) throw new Error('Only one catalog function may have the http-api trigger');
    if (apiHandlers[0]) {
      this.api = new DsrApi(this, 'Api', { handler: apiHandlers[0], settings });
      new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the request API (append v1/requests)' });
    }
    this.recipients = new DsrRecipients(this, 'Recipients', { settings, eventBus });
    this.observability = new DsrObservability(this, 'Observability', {
      settings,
      stateMachines: this.workflows.byName,
      scheduledFunctions: this.functions.withTrigger('schedule'),
      recipientAlarms: this.recipients.alarms,
    });
    for (const [name, machine] of this.workflows.byName) {
      new CfnOutput(this, `${name.replace(/[^A-Za-z0-9]/g, '')}StateMachineArn`, { value: machine.stateMachineArn });
    }
    new CfnOutput(this, 'EventBusName', { value: eventBus.eventBusName });
    Aspects.of(this).add(new JustifiedWildcards());
  }

  /** A Secrets Manager secret: imported by name when configured, else generated (64 characters) and retained. */
  private secret(id: string, name: string | undefined, description: string): secretsmanager.ISecret {
    if (name) return secretsmanager.Secret.fromSecretNameV2(this, id, name);
    const secret = new secretsmanager.Secret(this, id, {
      description,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating this key would orphan every stored keyed hash (suppression list, erased-request index) and invalidate callback verification; it is rotated only by a planned re-keying.',
    });
    return secret;
  }
}
