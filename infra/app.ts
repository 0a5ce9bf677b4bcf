import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DsrStack } from './dsr-stack';

/** The CDK app (`cdk.json` → `npx tsx infra/app.ts`): one DSR stack, checked by cdk-nag's AwsSolutions pack. */
const app = new App();
new DsrStack(app, (app.node.tryGetContext('stackName') as string | undefined) ?? 'DsrPipeline', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
