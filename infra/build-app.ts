import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { settingsFromContext } from "./settings.ts";
import { SwitchyardStack } from "./switchyard-stack.ts";

/**
 * The CDK app: the Switchyard stack, checked by cdk-nag's AwsSolutions rules at synth. The
 * stack name comes from the `stackName` context value (default `Switchyard`).
 */
export function buildApp(props: AppProps = {}) {
  const app = new App(props);
  const stackName = String(app.node.tryGetContext("stackName") ?? "Switchyard");
  const stack = new SwitchyardStack(app, stackName, {
    settings: settingsFromContext(app.node),
    description: "Switchyard: event router with signed webhook delivery",
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
