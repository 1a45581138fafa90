/**
 * Resource types with no local counterpart, each with why running without it is safe. The engine
 * accepts these and refuses any type no plugin runs or accepts.
 */
import type { LocalPlugin } from './plugin';

const NO_NETWORK = 'no network isolation locally';
const UNENCRYPTED = 'emulators store data unencrypted';

export const notEmulated: LocalPlugin = {
  name: 'not-emulated',
  types: [],
  accepted: {
    'AWS::KMS::Key': UNENCRYPTED,
    'AWS::KMS::Alias': UNENCRYPTED,
    'AWS::Logs::LogGroup': 'logs go to files under <state>/logs',
    'AWS::CloudWatch::Alarm': 'no metrics locally',
    'AWS::EC2::VPC': NO_NETWORK,
    'AWS::EC2::Subnet': NO_NETWORK,
    'AWS::EC2::RouteTable': NO_NETWORK,
    'AWS::EC2::SubnetRouteTableAssociation': NO_NETWORK,
    'AWS::EC2::Route': NO_NETWORK,
    'AWS::EC2::InternetGateway': NO_NETWORK,
    'AWS::EC2::VPCGatewayAttachment': NO_NETWORK,
    'AWS::EC2::SecurityGroup': NO_NETWORK,
    'AWS::EC2::FlowLog': NO_NETWORK,
    'AWS::ECS::Cluster': 'tasks run as local child processes',
    'AWS::CDK::Metadata': 'CDK bookkeeping',
    'Custom::S3AutoDeleteObjects':
      'empties a bucket when the stack is deleted; the local state is reset with recomart local reset',
  },
};
