// The Tessera HTTP API as the page uses it: bearer token kept for the tab (sessionStorage).
let token = sessionStorage.getItem('tessera.token');

export function loggedIn() {
  return !!token;
}

export function accessToken() {
  return token;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && token) logoutLocally();
    throw new ApiError(res.status, json);
  }
  return json;
}

export async function login(username, password) {
  const out = await api('/api/v1/login', { method: 'POST', body: { username, password } });
  token = out.token;
  sessionStorage.setItem('tessera.token', token);
  return out.user;
}

export async function logout() {
  try {
    await api('/api/v1/logout', { method: 'POST' });
  } finally {
    logoutLocally();
  }
}

function logoutLocally() {
  token = null;
  sessionStorage.removeItem('tessera.token');
}
