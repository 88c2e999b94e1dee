import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../config/auth.config.js';
import type { MailConfig } from '../config/mail.config.js';
import type { MailMessage } from '../mail/mail-message.js';
import type { MailService } from '../mail/mail.service.js';
import { SecurityNotices } from '../mail/security-notices.js';
import { AccountMailer } from './account-mailer.js';

function mailer(): { sent: MailMessage[]; accountMailer: AccountMailer } {
  const sent: MailMessage[] = [];
  const mail = { send: (message: MailMessage) => sent.push(message) } as unknown as MailService;
  const config = { appUrl: 'https://app.example.com' } as MailConfig;
  const auth = { oneTimeTokenTtl: { verify_email: 86_400, reset_password: 1_800, change_email: 3_600 } } as AuthConfig;
  return { sent, accountMailer: new AccountMailer(mail, new SecurityNotices(mail, config), config, auth) };
}

describe(AccountMailer.name, () => {
  it('should link to APP_URL with the token, in text and HTML, and say how long the link works', () => {
    const { sent, accountMailer } = mailer();

    accountMailer.resetPassword('ada@example.com', 'TOKEN123');

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: 'ada@example.com', subject: 'Reset your password' });
    expect(sent[0].text).toContain('https://app.example.com/reset-password?token=TOKEN123');
    expect(sent[0].text).toContain('Or enter this code: TOKEN123');
    expect(sent[0].text).toContain('for 30 minutes');
    expect(sent[0].html).toContain('<a href="https://app.example.com/reset-password?token=TOKEN123">');
  });

  it('should use the lifetime of each purpose', () => {
    const { sent, accountMailer } = mailer();

    accountMailer.verifyEmail('a@example.com', 'T');
    accountMailer.confirmEmailChange('b@example.com', 'T');

    expect(sent[0].text).toContain('for 24 hours');
    expect(sent[0].text).toContain('https://app.example.com/verify-email?token=T');
    expect(sent[1].text).toContain('for 1 hour');
    expect(sent[1].text).toContain('https://app.example.com/confirm-email?token=T');
  });

  it('should tell of a password change with the time and the client, escaping the user agent in HTML', () => {
    const { sent, accountMailer } = mailer();
    const at = new Date('2025-03-04T05:06:07Z');

    accountMailer.passwordChanged(
      'ada@example.com',
      { userAgent: '<img src=x onerror=alert(1)>', ip: '203.0.113.9' },
      'changed',
      at,
    );

    expect(sent[0]).toMatchObject({ to: 'ada@example.com', subject: 'Your password was changed' });
    expect(sent[0].text).toContain(
      'The password of your account was changed on Tue, 04 Mar 2025 05:06:07 GMT, from "<img src=x onerror=alert(1)>" at 203.0.113.9.',
    );
    expect(sent[0].text).toContain("If this wasn't you, choose a new password at once");
    expect(sent[0].text).toContain('https://app.example.com');
    expect(sent[0].html).toContain('&quot;&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(sent[0].html).not.toContain('<img');
  });

  it('should say how the password was replaced, and name an unknown client as such', () => {
    const { sent, accountMailer } = mailer();

    accountMailer.passwordChanged('ada@example.com', { userAgent: null, ip: null }, 'reset');

    expect(sent[0].text).toMatch(
      /^The password of your account was reset with a link mailed to this address on .+ GMT, from an unknown client\./,
    );
  });

  it('should escape the new address in the change notice', () => {
    const { sent, accountMailer } = mailer();

    accountMailer.emailChanged('old@example.com', '<script>@example.com');

    expect(sent[0].html).toContain('&lt;script&gt;@example.com');
    expect(sent[0].html).not.toContain('<script>');
  });
});
