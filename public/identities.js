// Sign-in with other providers on the account page: a "Sign in with …" button per configured provider,
// and the linked accounts with Link and Unlink. The provider's answer comes back to this page (app.js
// reads it from the address); no token ever travels in a URL.
import { call, providerLabels, run, show } from '/app.js';

const $ = (selector) => document.querySelector(selector);
const home = () => `${location.origin}/`;
let providers = [];

function button(text, onClick, className) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  if (className) element.className = className;
  element.addEventListener('click', onClick);
  return element;
}

function signInWith(provider) {
  location.assign(`/api/v1/auth/oauth/${encodeURIComponent(provider.name)}/start?redirect_to=${encodeURIComponent(home())}`);
}

async function link(provider) {
  const { url } = await call('POST', `/auth/identities/${encodeURIComponent(provider.name)}/link`, { redirectTo: home() });
  location.assign(url);
}

async function renderIdentities() {
  if (providers.length === 0) return;
  const { identities } = await call('GET', '/auth/identities');
  const list = $('#identity-list');
  list.replaceChildren();
  for (const identity of identities) {
    const item = document.createElement('li');
    const since = new Date(identity.linkedAt).toLocaleDateString();
    item.textContent = `${providerLabels.get(identity.provider) ?? identity.provider} · ${identity.email ?? 'no email address'} · linked ${since} `;
    item.append(
      button(
        'Unlink',
        () =>
          run(async () => {
            await call('DELETE', `/auth/identities/${identity.id}`);
            await renderIdentities();
            show(`${providerLabels.get(identity.provider) ?? identity.provider} is unlinked.`);
          }),
        'secondary',
      ),
    );
    list.append(item);
  }
  if (identities.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: 'None yet.' }));
  const linked = new Set(identities.map((identity) => identity.provider));
  $('#identity-link-buttons').replaceChildren(
    ...providers.filter((provider) => !linked.has(provider.name)).map((provider) => button(`Link ${provider.label}`, () => run(() => link(provider)))),
  );
  $('#set-password-form').hidden = identities.length === 0;
  $('#identities').hidden = false;
}

async function start() {
  try {
    ({ providers } = await call('GET', '/auth/oauth/providers', undefined, { auth: false }));
  } catch {
    providers = [];
  }
  for (const provider of providers) providerLabels.set(provider.name, provider.label);
  const buttons = $('#provider-buttons');
  buttons.replaceChildren(...providers.map((provider) => button(`Sign in with ${provider.label}`, () => signInWith(provider), 'secondary')));
  buttons.hidden = providers.length === 0;
  document.addEventListener('account:shown', () => void run(renderIdentities));
  $('#set-password-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    void run(async () => {
      await call('POST', '/auth/password/set', { newPassword: form.elements.newPassword.value });
      form.reset();
      form.hidden = true;
      show('Your password is set.');
    });
  });
  if (!$('#signed-in').hidden) await run(renderIdentities);
}

void start();
