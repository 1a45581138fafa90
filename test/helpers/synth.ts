import { createApp } from '../../lib/app';

/**
 * The app for assertions on the template only: CDK's `aws:cdk:bundling-stacks` context left empty, so
 * no function is bundled (the template is the same; a bundle test synthesizes with bundling itself).
 */
export function appWithoutBundling(context: Record<string, unknown>, nag = false) {
  return createApp({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, nag });
}
