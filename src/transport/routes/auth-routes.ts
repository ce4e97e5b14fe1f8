import { changeRole, createAccount } from '../../app/commands/accounts.ts';
import { changePassword, login, logout, refresh, register } from '../../app/commands/auth.ts';
import { notFound } from '../../app/errors.ts';
import { authenticate, bearerToken } from '../authenticate.ts';
import { accountOut, type AppRouter } from '../call.ts';

export function authRoutes(router: AppRouter): void {
  router
    .add('POST', '/api/v1/auth/register', { access: 'public', body: true }, async ({ server, body }) => {
      const session = await register(server.chronicle, body);
      return { status: 201, body: { ...session, account: accountOut(session.account) } };
    })
    .add('POST', '/api/v1/auth/login', { access: 'public', body: true }, async ({ server, body }) => {
      const session = await login(server.chronicle, body);
      return { status: 200, body: { ...session, account: accountOut(session.account) } };
    })
    .add('POST', '/api/v1/auth/refresh', { access: 'public', body: true }, async ({ server, body }) => {
      const session = await refresh(server.chronicle, body);
      return { status: 200, body: { ...session, account: accountOut(session.account) } };
    })
    // Sign-out by refresh token (API.md), or `{}` with a bearer token for the caller's own session.
    .add('POST', '/api/v1/auth/logout', { access: 'public', body: true }, async ({ server, body, info }) => {
      const hasRefreshToken = typeof body === 'object' && body !== null && 'refreshToken' in body;
      const caller = hasRefreshToken ? undefined : await authenticate(server.chronicle, bearerToken(info.authorization));
      await logout(server.chronicle, body, caller);
      return { status: 204 };
    })
    .add('POST', '/api/v1/auth/password', { access: 'user', body: true }, async ({ server, caller, body }) => {
      await changePassword(server.chronicle, caller, body);
      return { status: 204 };
    })
    .add('GET', '/api/v1/accounts/me', { access: 'user' }, async ({ server, caller }) => {
      const account = server.chronicle.readModel.accountById(caller.accountId);
      if (!account) throw notFound('account');
      return { status: 200, body: { account: accountOut(account) } };
    })
    .add('GET', '/api/v1/accounts', { access: 'admin' }, async ({ server }) => ({
      status: 200,
      body: { accounts: server.chronicle.readModel.listAccounts().map(accountOut) },
    }))
    .add('POST', '/api/v1/accounts', { access: 'admin', body: true }, async ({ server, caller, body }) => ({
      status: 201,
      body: { account: accountOut(await createAccount(server.chronicle, body, caller)) },
    }))
    .add('PATCH', '/api/v1/accounts/:id', { access: 'admin', body: true }, async ({ server, caller, params, body }) => ({
      status: 200,
      body: { account: accountOut(await changeRole(server.chronicle, caller, params.id, body)) },
    }));
}
