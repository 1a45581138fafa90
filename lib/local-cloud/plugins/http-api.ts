/**
 * API Gateway HTTP APIs of the template: their routes and Lambda integrations, served on the
 * gateway under `/_api/<apiId>` (../http-api.ts).
 */
import { type HttpRequest, type HttpResponse, type HttpRoute, httpRoutes, serveHttpApi } from '../http-api';
import type { TemplateResolver } from '../template';
import type { LambdaFunctions } from './functions';
import type { LocalPlugin } from './plugin';

export class HttpApis implements LocalPlugin {
  readonly name = 'http-api';
  readonly types = [
    'AWS::ApiGatewayV2::Api',
    'AWS::ApiGatewayV2::Route',
    'AWS::ApiGatewayV2::Integration',
    'AWS::ApiGatewayV2::Stage',
  ];
  private routes: HttpRoute[] = [];

  constructor(private readonly log: (line: string) => void) {}

  wire(resolver: TemplateResolver, endpoint: string): void {
    this.routes = httpRoutes(resolver);
    for (const route of this.routes)
      this.log(`HTTP API ${endpoint}/_api/${route.apiId} ${route.routeKey} → ${route.functionArn}`);
  }

  serve(functions: LambdaFunctions, request: HttpRequest): Promise<HttpResponse> {
    return serveHttpApi(this.routes, (arn, event) => functions.byRef(arn).invoke(event), request);
  }
}
