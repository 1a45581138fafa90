/**
 * API Gateway HTTP APIs of the template: their routes and Lambda integrations, served on the
 * gateway under `/_api/<apiId>` (../http-api.ts).
 */
import { type HttpRequest, type HttpResponse, type HttpRoute, httpRoutes, serveHttpApi } from '../http-api';
import { LambdaFunctions } from './functions';
import type { LocalPlugin, WireContext } from './plugin';

export class HttpApis implements LocalPlugin {
  readonly name = 'http-api';
  readonly types = [
    'AWS::ApiGatewayV2::Api',
    'AWS::ApiGatewayV2::Route',
    'AWS::ApiGatewayV2::Integration',
    'AWS::ApiGatewayV2::Stage',
  ];
  private routes: HttpRoute[] = [];
  private functions?: LambdaFunctions;

  wire({ resolver, endpoint, log, plugin }: WireContext): void {
    this.functions = plugin(LambdaFunctions);
    this.routes = httpRoutes(resolver);
    for (const route of this.routes)
      log(`HTTP API ${endpoint}/_api/${route.apiId} ${route.routeKey} → ${route.functionArn}`);
  }

  serve(request: HttpRequest): Promise<HttpResponse> {
    const functions = this.functions;
    if (!functions) throw new Error('The local cloud is not running.');
    return serveHttpApi(this.routes, (arn, event) => functions.byRef(arn).invoke(event), request);
  }
}
