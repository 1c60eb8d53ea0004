import { buildSecretsTemplate, PASSWORD_EXCLUDED_CHARACTERS } from '../../src/templates/secrets';
import { templateInput } from './fixtures';
import { props } from './template-queries';

describe('secrets template', () => {
  it('generates username and password inside the account, leaving out characters a postgres URL would need escaped', () => {
    // Act
    const { template } = buildSecretsTemplate(templateInput());
    // Assess
    const secret = props(template, 'DatabaseSecret');
    expect(secret['GenerateSecretString']).toMatchObject({
      SecretStringTemplate: '{"username":"groundwork"}',
      GenerateStringKey: 'password',
      ExcludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    for (const character of ['/', '@', '"', ' ', ':', '?', '#', '%', '&', '\\', "'"]) expect(PASSWORD_EXCLUDED_CHARACTERS).toContain(character);
    expect(secret['SecretString']).toBeUndefined();
  });

  it('sets no fixed name, so a re-created stack never clashes with a secret pending deletion', () => {
    const { template } = buildSecretsTemplate(templateInput());
    expect(props(template, 'DatabaseSecret')['Name']).toBeUndefined();
  });

  it('outputs only the secret ARN', () => {
    const { template } = buildSecretsTemplate(templateInput());
    expect(template.Outputs).toEqual({ DatabaseSecretArn: expect.objectContaining({ Value: { Ref: 'DatabaseSecret' } }) });
  });
});
