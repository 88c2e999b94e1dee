// Two-step verification on the account page: the code step of the login, and the section that sets
// up the authenticator app, shows recovery codes once, renews them and turns it all off. app.js
// hands in its helpers; nothing here keeps a token or a secret beyond the screen that shows it.
const $ = (selector) => document.querySelector(selector);

export function mfaPage({ call, run, show, signedIn, renderSessions }) {
  let mfaToken = null;
  let recoveryMode = false;

  function codeStep(showIt) {
    $('#mfa-login-form').hidden = !showIt;
    $('#signed-out nav').hidden = showIt;
    $('#login-form').hidden = showIt;
  }

  function useRecoveryCode(on) {
    recoveryMode = on;
    const input = $('#mfa-login-form').elements.code;
    $('#mfa-login-hint').textContent = on
      ? 'Enter one of your recovery codes. Each works once.'
      : 'Enter the 6-digit code your authenticator app shows.';
    $('#mfa-code-label').firstChild.textContent = on ? 'Recovery code ' : 'Code ';
    input.inputMode = on ? 'text' : 'numeric';
    input.autocomplete = on ? 'off' : 'one-time-code';
    input.value = '';
    $('#mfa-use-recovery').textContent = on ? 'Use the authenticator app' : 'Use a recovery code';
    input.focus();
  }

  /** The login answered `mfaRequired`: ask for the code of its second step. */
  function askCode(token, message = 'Your password is right. One more step.') {
    mfaToken = token;
    codeStep(true);
    useRecoveryCode(false);
    show(message);
  }

  function showRecoveryCodes(codes) {
    const list = $('#mfa-code-list');
    list.replaceChildren(...codes.map((code) => Object.assign(document.createElement('li'), { textContent: code })));
    $('#mfa-codes').hidden = false;
    $('#mfa-codes').dataset.codes = codes.join('\n');
  }

  async function render() {
    const status = await call('GET', '/auth/mfa');
    $('#mfa-status').textContent = status.totp
      ? `On: signing in asks for a code from your authenticator app. ${status.recoveryCodesLeft} recovery codes left.`
      : 'Off: signing in asks only for your password.';
    $('#mfa-setup-form').hidden = status.totp;
    $('#mfa-manage').hidden = !status.totp;
    if (status.totp) $('#mfa-enrol').hidden = true;
  }

  function onSubmit(id, handler) {
    $(id).addEventListener('submit', (event) => {
      event.preventDefault();
      void run(() => handler(event.target));
    });
  }

  onSubmit('#mfa-login-form', async (form) => {
    const tokens = await call(
      'POST',
      '/auth/mfa/verify',
      { mfaToken, code: form.elements.code.value },
      { auth: false, cookie: true },
    );
    mfaToken = null;
    form.reset();
    codeStep(false);
    await signedIn(tokens);
    show(recoveryMode ? 'You are logged in. That recovery code is now used up.' : 'You are logged in.');
  });
  $('#mfa-use-recovery').addEventListener('click', () => useRecoveryCode(!recoveryMode));
  $('#mfa-cancel').addEventListener('click', () => {
    mfaToken = null;
    codeStep(false);
    $('#message').hidden = true;
  });

  onSubmit('#mfa-setup-form', async (form) => {
    const setup = await call('POST', '/auth/mfa/totp/setup', { password: form.elements.password.value });
    form.reset();
    $('#mfa-qr').src = setup.qrCode;
    $('#mfa-secret').textContent = setup.secret.replace(/(.{4})/g, '$1 ').trim();
    $('#mfa-setup-form').hidden = true;
    $('#mfa-enrol').hidden = false;
    $('#mfa-confirm-form').elements.code.focus();
    show('Scan the QR code with your authenticator app, then enter the code it shows.');
  });
  onSubmit('#mfa-confirm-form', async (form) => {
    const { recoveryCodes } = await call('POST', '/auth/mfa/totp/confirm', { code: form.elements.code.value });
    form.reset();
    $('#mfa-enrol').hidden = true;
    $('#mfa-qr').removeAttribute('src');
    $('#mfa-secret').textContent = '';
    showRecoveryCodes(recoveryCodes);
    await render();
    await renderSessions();
    show('Two-step verification is on. Save your recovery codes now: they are shown only once.');
  });
  onSubmit('#mfa-regenerate-form', async (form) => {
    const { recoveryCodes } = await call('POST', '/auth/mfa/recovery-codes', formValues(form));
    form.reset();
    showRecoveryCodes(recoveryCodes);
    await render();
    show('New recovery codes are ready; the old ones no longer work. Save them now.');
  });
  onSubmit('#mfa-disable-form', async (form) => {
    await call('DELETE', '/auth/mfa/totp', formValues(form));
    form.reset();
    $('#mfa-codes').hidden = true;
    await render();
    show('Two-step verification is off.');
  });

  $('#mfa-copy').addEventListener('click', () =>
    run(async () => {
      await navigator.clipboard.writeText($('#mfa-codes').dataset.codes);
      show('Recovery codes copied.');
    }),
  );
  $('#mfa-download').addEventListener('click', () => {
    const text = `Recovery codes for ${location.host}. Each works once.\n\n${$('#mfa-codes').dataset.codes}\n`;
    const link = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(new Blob([text], { type: 'text/plain' })),
      download: 'recovery-codes.txt',
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  /** Signed out, or done with them: the codes leave the page. */
  function forgetCodes() {
    $('#mfa-codes').hidden = true;
    $('#mfa-code-list').replaceChildren();
    delete $('#mfa-codes').dataset.codes;
  }
  $('#mfa-codes-done').addEventListener('click', forgetCodes);

  /** A setup under way leaves the page with its person: the next one to sign in here must not see its key. */
  function forgetSetup() {
    $('#mfa-enrol').hidden = true;
    $('#mfa-qr').removeAttribute('src');
    $('#mfa-secret').textContent = '';
    $('#mfa-confirm-form').reset();
  }

  /** Signed out (or the session ended): nothing of this person's second factor stays on the page. */
  function reset() {
    forgetCodes();
    forgetSetup();
    mfaToken = null;
  }

  return { askCode, render, reset };
}

function formValues(form) {
  return Object.fromEntries(new FormData(form));
}
