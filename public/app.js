// The account page. The access token lives in this module's memory only; the refresh token is an
// HttpOnly cookie the browser keeps (cookie mode), so a reload signs back in through /auth/refresh.
import { mfaPage } from '/mfa.js';

const API = '/api/v1';
const COOKIE_MODE = { 'X-Token-Transport': 'cookie' };
let accessToken = null;

const $ = (selector) => document.querySelector(selector);

export function show(message, isError = false) {
  const box = $('#message');
  box.textContent = message;
  box.classList.toggle('error', isError);
  box.hidden = false;
}

/** The API's error shape `{statusCode, error, message}` as one sentence; 429 says how long to wait. */
function describeError(status, body, headers) {
  const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
  if (status === 429) {
    const wait = Number(headers.get('retry-after'));
    return `${message || 'Too many attempts'}${wait && !String(message).includes('seconds') ? `; try again in ${wait} seconds` : ''}`;
  }
  return message || `Request failed (${status})`;
}

export async function call(method, path, body, { auth = true, cookie = false } = {}) {
  const headers = { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...(cookie && COOKIE_MODE) };
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(`${API}${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(describeError(response.status, data, response.headers));
    error.status = response.status;
    error.code = data?.code;
    throw error;
  }
  return data;
}

function view(name) {
  for (const id of ['signed-out', 'signed-in', 'reset']) $(`#${id}`).hidden = id !== name;
}

function chooseForm(id) {
  for (const button of document.querySelectorAll('[data-show]')) {
    const active = button.dataset.show === id;
    button.setAttribute('aria-pressed', String(active));
    $(`#${button.dataset.show}`).hidden = !active;
  }
}

export async function signedIn(tokens) {
  accessToken = tokens.accessToken;
  await renderProfile(tokens.user);
}

async function renderProfile(user = null) {
  const me = user ?? (await call('GET', '/auth/me'));
  $('#profile-name').textContent = me.name ?? '—';
  $('#profile-username').textContent = me.username ?? '—';
  $('#profile-email').textContent = me.email ?? '—';
  $('#username-form').elements.username.value = me.username ?? '';
  $('#profile-verified').textContent = me.emailVerified ? 'yes' : 'no';
  $('#profile-roles').textContent = me.roles.join(', ');
  $('#resend-verification').hidden = me.emailVerified || !me.email;
  $('#name-form').elements.name.value = me.name ?? '';
  await mfa.render();
  await renderSessions();
  view('signed-in');
  document.dispatchEvent(new Event('account:shown'));
}

async function renderSessions() {
  const sessions = await call('GET', '/auth/sessions');
  const list = $('#sessions');
  list.replaceChildren();
  for (const session of sessions) {
    const item = document.createElement('li');
    const when = new Date(session.lastUsedAt).toLocaleString();
    item.textContent = `${session.current ? 'This session' : 'Other session'} · ${session.userAgent ?? 'unknown browser'} · ${session.ip ?? ''} · last used ${when} `;
    if (!session.current) {
      const end = document.createElement('button');
      end.type = 'button';
      end.textContent = 'End this session';
      end.className = 'secondary';
      end.addEventListener('click', () =>
        run(async () => {
          await call('DELETE', `/auth/sessions/${session.id}`);
          await renderSessions();
          show('That session has ended.');
        }),
      );
      item.append(end);
    }
    list.append(item);
  }
}

function signedOut(message) {
  accessToken = null;
  mfa.reset();
  view('signed-out');
  if (message) show(message);
}

/** Runs an action and shows its error; an expired access token is renewed once through the cookie. */
export async function run(action) {
  try {
    await action();
  } catch (error) {
    // A wrong second-factor code is the person's mistake, not an expired access token.
    if (error.status === 401 && accessToken && !error.code?.startsWith('mfa_') && (await renew())) {
      try {
        await action();
        return;
      } catch (retryError) {
        show(retryError.message, true);
        return;
      }
    }
    show(error.message, true);
  }
}

async function renew() {
  try {
    accessToken = (await call('POST', '/auth/refresh', {}, { auth: false, cookie: true })).accessToken;
    return true;
  } catch {
    signedOut('Your session has ended. Please log in again.');
    return false;
  }
}

function formValues(form) {
  return Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ''));
}

function onSubmit(id, handler) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    void run(() => handler(event.target));
  });
}

const mfa = mfaPage({ call, run, show, signedIn, renderSessions });

async function start() {
  for (const button of document.querySelectorAll('[data-show]')) button.addEventListener('click', () => chooseForm(button.dataset.show));

  onSubmit('#login-form', async (form) => {
    const { identifier, password } = formValues(form);
    // One box for both: an address has an @, a username never does.
    const named = identifier.includes('@') ? { email: identifier } : { username: identifier };
    const answer = await call('POST', '/auth/login', { ...named, password }, { auth: false, cookie: true });
    form.reset();
    if (answer.mfaRequired) return mfa.askCode(answer.mfaToken);
    await signedIn(answer);
    show('You are logged in.');
  });
  onSubmit('#register-form', async (form) => {
    const answer = await call('POST', '/auth/register', formValues(form), { auth: false, cookie: true });
    form.reset();
    if (answer.accessToken) {
      await signedIn(answer);
      show('Your account is ready. We sent you a link to verify your email address.');
    } else {
      chooseForm('login-form');
      show(answer.message);
    }
  });
  onSubmit('#forgot-form', async (form) => {
    const answer = await call('POST', '/auth/password/forgot', formValues(form), { auth: false });
    form.reset();
    show(answer.message);
  });
  onSubmit('#name-form', async (form) => {
    await renderProfile(await call('PATCH', '/users/me', formValues(form)));
    show('Your name is saved.');
  });
  onSubmit('#username-form', async (form) => {
    await renderProfile(await call('PATCH', '/users/me', formValues(form)));
    show('Your username is saved.');
  });
  onSubmit('#password-form', async (form) => {
    await call('POST', '/auth/password/change', formValues(form));
    form.reset();
    await renderSessions();
    show('Your password has changed. Your other sessions have ended.');
  });
  $('#resend-verification').addEventListener('click', () =>
    run(async () => show((await call('POST', '/auth/email/verify/request')).message)),
  );
  $('#logout').addEventListener('click', () =>
    run(async () => {
      await call('POST', '/auth/logout', undefined, { cookie: true });
      signedOut('You are logged out.');
    }),
  );
  $('#logout-all').addEventListener('click', () =>
    run(async () => {
      await call('POST', '/auth/logout-all', undefined, { cookie: true });
      signedOut('You are logged out everywhere.');
    }),
  );

  const query = new URLSearchParams(location.search);
  const token = query.get('token');
  const page = location.pathname;
  // Back from a provider (see identities.js): read the outcome, then take it out of the address bar.
  const provider = { mfaToken: query.get('mfa_token'), error: query.get('error'), linked: query.get('linked') };
  if (page === '/' && (provider.mfaToken || provider.error || provider.linked)) history.replaceState(null, '', '/');
  if (page === '/reset-password' && token) {
    view('reset');
    onSubmit('#reset-form', async (form) => {
      await call('POST', '/auth/password/reset', { token, newPassword: form.elements.newPassword.value }, { auth: false });
      history.replaceState(null, '', '/');
      signedOut('Your password has changed. Log in with the new one.');
    });
    return;
  }
  if ((page === '/verify-email' || page === '/confirm-email') && token) {
    history.replaceState(null, '', '/');
    const path = page === '/verify-email' ? '/auth/email/verify' : '/auth/email/change/confirm';
    try {
      await call('POST', path, { token }, { auth: false });
      show(page === '/verify-email' ? 'Your email address is verified.' : 'Your email address has changed.');
    } catch (error) {
      show(error.message, true);
    }
  }
  try {
    accessToken = (await call('POST', '/auth/refresh', {}, { auth: false, cookie: true })).accessToken;
    await renderProfile();
    if (provider.linked) show(`Sign-in with ${providerLabel(provider.linked)} is linked to your account.`);
  } catch {
    view('signed-out');
    if (provider.mfaToken) mfa.askCode(provider.mfaToken, 'You are signed in with the provider. One more step.');
  }
  if (provider.error) show(providerError(provider.error), true);
}

/** Provider names as the API lists them; until then (or for an unknown one) the name itself. */
export const providerLabels = new Map();
const providerLabel = (name) => providerLabels.get(name) ?? name;

/** The `error` a provider sign-in came back with, as a sentence. */
function providerError(code) {
  const messages = {
    access_denied: 'The sign-in was cancelled at the provider.',
    oauth_email_in_use:
      'An account already uses the email address of that account. Log in to it the usual way, then link the provider under "Linked accounts".',
    oauth_email_required: 'The provider did not give a verified email address, and this service needs one.',
    account_disabled: 'This account is disabled.',
    identity_taken: 'That account at the provider is already linked to another account here.',
    oauth_provider_unavailable: 'The provider cannot be reached right now. Try again in a moment.',
    oauth_failed: 'The sign-in with the provider did not go through. Try again.',
  };
  return messages[code] ?? 'The sign-in with the provider did not go through. Try again.';
}

void start();
