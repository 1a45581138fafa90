import { TemplateResolver } from '../../../lib/local-cloud/template';

const template = {
  Resources: {
    LakeBucket1234: { Type: 'AWS::S3::Bucket' },
    Stream99: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'clicks' } },
    Dlq77: { Type: 'AWS::SQS::Queue' },
    Fn1: { Type: 'AWS::Lambda::Function' },
  },
  Mappings: { Cfg: { dev: { size: 3 } } },
  Conditions: { IsDev: { 'Fn::Equals': ['dev', 'dev'] } },
};

describe('TemplateResolver', () => {
  const r = new TemplateResolver('RecoMart-dev', template);
  r.sqsEndpoint = 'http://127.0.0.1:9324';

  it('derives deterministic, valid physical names unless the template names the resource', () => {
    expect(r.physicalName('LakeBucket1234')).toBe('recomart-dev-lakebucket1234');
    expect(r.physicalName('Stream99')).toBe('clicks');
    expect(new TemplateResolver('RecoMart-dev', template).physicalName('Fn1')).toBe(r.physicalName('Fn1'));
  });

  it('resolves Ref and Fn::GetAtt per resource type', () => {
    expect(r.resolve({ Ref: 'LakeBucket1234' })).toBe('recomart-dev-lakebucket1234');
    expect(r.resolve({ Ref: 'Dlq77' })).toBe('http://127.0.0.1:9324/000000000000/RecoMart-dev-Dlq77');
    expect(r.resolve({ 'Fn::GetAtt': ['Stream99', 'Arn'] })).toBe(
      'arn:aws:kinesis:us-east-1:000000000000:stream/clicks',
    );
    expect(r.resolve({ 'Fn::GetAtt': 'Fn1.Arn' })).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:RecoMart-dev-Fn1',
    );
  });

  it('resolves Fn::Join, Fn::Sub (with escapes and variables), Select/Split, FindInMap, If and NoValue', () => {
    expect(
      r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'LakeBucket1234' }, '/*']] }),
    ).toBe('arn:aws:s3:::recomart-dev-lakebucket1234/*');
    expect(r.resolve({ 'Fn::Sub': '${AWS::Region}/${Stream99.Arn}/${!Literal}' })).toBe(
      'us-east-1/arn:aws:kinesis:us-east-1:000000000000:stream/clicks/${Literal}',
    );
    expect(r.resolve({ 'Fn::Sub': ['${x}-${AWS::AccountId}', { x: { Ref: 'Stream99' } }] })).toBe(
      'clicks-000000000000',
    );
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(r.resolve({ 'Fn::FindInMap': ['Cfg', 'dev', 'size'] })).toBe(3);
    expect(r.resolve({ 'Fn::If': ['IsDev', 'yes', 'no'] })).toBe('yes');
    expect(r.resolve({ a: { Ref: 'AWS::NoValue' }, b: 1 })).toEqual({ b: 1 });
  });

  it('fails loudly on what it cannot resolve', () => {
    expect(() => r.resolve({ 'Fn::ImportValue': 'x' })).toThrow('Fn::ImportValue is not supported by the local cloud');
    expect(() => r.resolve({ Ref: 'Missing' })).toThrow('Ref to unknown resource "Missing"');
  });
});
