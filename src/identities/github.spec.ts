import { describe, expect, it } from 'vitest';
import { fetchGitHubProfile } from './github.js';
import { ProviderRefusal } from './provider-profile.js';

/** A stand-in for GitHub's API: answers by path, and records what was asked. */
function gitHub(answers: Record<string, { status?: number; body: unknown }>) {
  const asked: Array<{ url: string; authorization: string | null }> = [];
  const fetcher = ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    asked.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    const answer = answers[new URL(url).pathname];
    return Promise.resolve(new Response(JSON.stringify(answer?.body ?? {}), { status: answer?.status ?? (answer ? 200 : 404) }));
  }) as typeof fetch;
  return { fetcher, asked };
}

describe('fetchGitHubProfile', () => {
  it('should take the numeric id as subject and only the primary verified address', async () => {
    const { fetcher, asked } = gitHub({
      '/user': { body: { id: 583231, login: 'octocat', name: 'The Octocat', email: 'public@example.com' } },
      '/user/emails': {
        body: [
          { email: 'Other@Example.com', primary: false, verified: true },
          { email: 'Octo@Example.com', primary: true, verified: true },
        ],
      },
    });

    const profile = await fetchGitHubProfile('gho_token', fetcher);

    expect(profile).toEqual({ subject: '583231', email: 'octo@example.com', emailVerified: true, name: 'The Octocat' });
    expect(asked.map((call) => call.url)).toEqual(['https://api.github.com/user', 'https://api.github.com/user/emails']);
    expect(asked.every((call) => call.authorization === 'Bearer gho_token')).toBe(true);
  });

  it('should give no address when the primary one is not verified, and fall back to the login for a name', async () => {
    const { fetcher } = gitHub({
      '/user': { body: { id: 7, login: 'someone', name: null } },
      '/user/emails': { body: [{ email: 'someone@example.com', primary: true, verified: false }] },
    });

    expect(await fetchGitHubProfile('t', fetcher)).toEqual({ subject: '7', email: null, emailVerified: false, name: 'someone' });
  });

  it('should refuse when GitHub refuses the token or sends no id', async () => {
    await expect(fetchGitHubProfile('t', gitHub({ '/user': { status: 401, body: {} } }).fetcher)).rejects.toBeInstanceOf(
      ProviderRefusal,
    );
    await expect(
      fetchGitHubProfile('t', gitHub({ '/user': { body: { login: 'x' } }, '/user/emails': { body: [] } }).fetcher),
    ).rejects.toBeInstanceOf(ProviderRefusal);
  });
});
