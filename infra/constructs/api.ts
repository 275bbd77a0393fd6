import { RemovalPolicy } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  HttpApi,
  type HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { API_ROUTES } from "../../functions/api/routes.ts";
import type { Route } from "../../functions/http/router.ts";
import { TRIGGER_ROUTES } from "../../functions/trigger/routes.ts";

export interface ApiProps {
  trigger: IFunction;
  api: IFunction;
  rateLimit: number;
  burstLimit: number;
}

/**
 * The HTTP API. Its routes are read from the handlers' own route tables, so every route the
 * functions answer is exposed and nothing else; `$default` goes to the management function,
 * which answers unknown paths 404 and other methods 405 in SPEC's error shape.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const management = new HttpLambdaIntegration("Management", props.api);
    const trigger = new HttpLambdaIntegration("Trigger", props.trigger);
    this.httpApi = new HttpApi(this, "HttpApi", {
      description: "Switchyard: event triggers and the management API",
      createDefaultStage: false,
      defaultIntegration: management,
    });
    const add = (routes: readonly Route<never>[], integration: HttpLambdaIntegration) => {
      for (const route of routes) {
        this.httpApi.addRoutes({
          path: route.path,
          methods: [route.method as HttpMethod],
          integration,
        });
      }
    };
    add(TRIGGER_ROUTES, trigger);
    add(API_ROUTES, management);

    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.httpApi.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            requestTime: "$context.requestTime",
            method: "$context.httpMethod",
            path: "$context.path",
            routeKey: "$context.routeKey",
            status: "$context.status",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationError: "$context.integrationErrorMessage",
          }),
        ),
      },
    });
  }
}
