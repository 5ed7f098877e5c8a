import { YAMLMap } from 'yaml';

/**
 * CloudFormation short forms (`!Ref`, `!GetAtt`, `!Sub`...) parse to their long form
 * (`{ Ref: ... }`, `{ 'Fn::GetAtt': ... }`), so a value built from them is visibly unresolved
 * rather than silently read as the bare string.
 */
export const CLOUDFORMATION_TAGS = [
  'Ref',
  'Condition',
  ...[
    'Base64',
    'Cidr',
    'FindInMap',
    'GetAtt',
    'GetAZs',
    'ImportValue',
    'Join',
    'Select',
    'Split',
    'Sub',
    'Transform',
    'And',
    'Equals',
    'If',
    'Not',
    'Or',
  ].map((name) => `Fn::${name}`),
].flatMap((longName) => {
  const tag = `!${longName.replace('Fn::', '')}`;
  const wrap = (value: unknown) => {
    const map = new YAMLMap();
    map.set(longName, value);
    return map;
  };
  return [
    { tag, resolve: (value: string) => ({ [longName]: value }) },
    { tag, collection: 'seq' as const, resolve: wrap },
    { tag, collection: 'map' as const, resolve: wrap },
  ];
});
