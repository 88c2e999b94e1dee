// Passkeys on the account page: add, rename and remove them, and sign in with one alone. The browser's
// own WebAuthn JSON helpers (parse…FromJSON, credential.toJSON()) carry the options and answers; no library.
import { call, run, show, signedIn } from '/app.js';

const $ = (selector) => document.querySelector(selector);
const supported =
  typeof window.PublicKeyCredential?.parseCreationOptionsFromJSON === 'function' &&
  typeof window.PublicKeyCredential?.parseRequestOptionsFromJSON === 'function';

/** A cancelled or timed-out browser prompt reads better as a sentence of our own. */
async function ceremony(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error?.name === 'NotAllowedError') throw new Error('The passkey request was cancelled or timed out.', { cause: error });
    if (error?.name === 'InvalidStateError')
      throw new Error('This device already holds a passkey for your account.', { cause: error });
    throw error;
  }
}

async function signInWithPasskey() {
  const options = await call('POST', '/auth/passkeys/login/options', {}, { auth: false });
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const credential = await ceremony(navigator.credentials.get({ publicKey }));
  const tokens = await call(
    'POST',
    '/auth/passkeys/login/verify',
    { response: credential.toJSON() },
    { auth: false, cookie: true },
  );
  await signedIn(tokens);
  show('You are signed in with your passkey.');
}

async function addPasskey(form) {
  const options = await call('POST', '/auth/passkeys/register/options', {});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const credential = await ceremony(navigator.credentials.create({ publicKey }));
  const name = form.elements.name.value.trim();
  await call('POST', '/auth/passkeys/register/verify', { response: credential.toJSON(), ...(name && { name }) });
  form.reset();
  await renderPasskeys();
  show('Your passkey is added.');
}

function button(text, onClick, className = 'secondary') {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.className = className;
  element.addEventListener('click', onClick);
  return element;
}

/** A small form in place of a passkey's buttons: one field, a submit button and Cancel. */
function inlineForm(item, { label, input, submit, onSubmit }) {
  const form = document.createElement('form');
  const field = document.createElement('label');
  const box = Object.assign(document.createElement('input'), input);
  field.append(label, box);
  const save = Object.assign(document.createElement('button'), { type: 'submit', textContent: submit });
  form.append(
    field,
    save,
    button('Cancel', () => void renderPasskeys()),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(() => onSubmit(box.value));
  });
  item.querySelector('.passkey-actions').replaceChildren(form);
  box.focus();
}

function passkeyItem(passkey) {
  const item = document.createElement('li');
  item.dataset.passkeyId = passkey.id;
  const name = document.createElement('strong');
  name.textContent = passkey.name;
  const details = document.createElement('span');
  details.className = 'passkey-details';
  const lastUsed = passkey.lastUsedAt ? new Date(passkey.lastUsedAt).toLocaleString() : 'never';
  details.textContent = `Added ${new Date(passkey.createdAt).toLocaleString()} · last used ${lastUsed} · ${passkey.backedUp ? 'backed up' : 'not backed up'}`;
  const actions = document.createElement('div');
  actions.className = 'passkey-actions';
  actions.append(
    button('Rename', () =>
      inlineForm(item, {
        label: 'New name',
        input: { name: 'name', value: passkey.name, maxLength: 64, required: true },
        submit: 'Save name',
        onSubmit: async (value) => {
          await call('PATCH', `/auth/passkeys/${passkey.id}`, { name: value });
          await renderPasskeys();
          show('The passkey is renamed.');
        },
      }),
    ),
    button('Remove', () =>
      inlineForm(item, {
        label: 'Your password, to confirm',
        input: { name: 'password', type: 'password', autocomplete: 'current-password', required: true },
        submit: 'Remove passkey',
        onSubmit: async (password) => {
          await call('DELETE', `/auth/passkeys/${passkey.id}`, { password });
          await renderPasskeys();
          show('The passkey is removed.');
        },
      }),
    ),
  );
  item.append(name, details, actions);
  return item;
}

async function renderPasskeys() {
  const passkeys = await call('GET', '/auth/passkeys');
  const list = $('#passkey-list');
  if (passkeys.length === 0) {
    const empty = document.createElement('li');
    empty.textContent = 'No passkeys yet.';
    list.replaceChildren(empty);
  } else {
    list.replaceChildren(...passkeys.map(passkeyItem));
  }
}

function start() {
  $('#passkeys').hidden = false;
  if (!supported) {
    $('#passkey-add-form').replaceChildren('This browser cannot use passkeys.');
  } else {
    $('#passkey-login').hidden = false;
    $('#passkey-login').addEventListener('click', () => void run(signInWithPasskey));
    $('#passkey-add-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void run(() => addPasskey(event.target));
    });
  }
  document.addEventListener('account:shown', () => void run(renderPasskeys));
  if (!$('#signed-in').hidden) void run(renderPasskeys);
}

start();
