/**
 * The panel's two static files, as strings so `tsc` carries them into dist/ with no build step: the
 * script that sends decisions (served as /panel/app.js: the CSP forbids inline script) and the style.
 * The script keeps the operator token in sessionStorage and sends it only as a header.
 */

export const APP_JS = `'use strict';
(() => {
  const KEY = 'supervisor-operator-token';
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const state = document.getElementById('token-state');
  const showToken = () => {
    if (state) state.textContent = sessionStorage.getItem(KEY) ? 'token set for this tab' : 'no token: read-only';
  };
  document.getElementById('token-form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('operator-token');
    if (input && input.value !== '') sessionStorage.setItem(KEY, input.value);
    if (input) input.value = '';
    showToken();
  });
  document.getElementById('token-forget')?.addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    showToken();
  });
  showToken();

  const decide = async (button) => {
    const row = button.closest('.approval');
    const message = row?.querySelector('.decision-msg');
    const comment = row?.querySelector('input.comment')?.value ?? '';
    const { worker, task, kind } = button.dataset;
    const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf };
    const token = sessionStorage.getItem(KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const show = (text, ok) => {
      if (!message) return;
      message.textContent = text;
      message.className = 'decision-msg ' + (ok ? 'ok' : 'refused');
    };
    row?.querySelectorAll('button[data-kind]').forEach((b) => (b.disabled = true));
    show(kind + ': sending...', true);
    try {
      const url = '/api/approvals/' + encodeURIComponent(worker) + '/' + encodeURIComponent(task) + '/' + kind;
      const response = await fetch(url, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        body: JSON.stringify({ comment }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) show(body.message ?? kind + 'd', true);
      else show(response.status + ': ' + (body.error ?? response.statusText), false);
    } catch (error) {
      show('network error: ' + String(error), false);
    } finally {
      row?.querySelectorAll('button[data-kind]').forEach((b) => (b.disabled = false));
    }
  };
  document.querySelectorAll('button[data-kind]').forEach((button) => {
    button.addEventListener('click', () => void decide(button));
  });
})();
`;

export const PANEL_CSS = `body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 16px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
header a { color: #fff; }
header .token input { width: 16em; }
main { padding: 8px 16px; }
section { margin-bottom: 24px; }
h2 { font-size: 16px; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
th { background: #eceef2; }
code, pre { font-family: ui-monospace, monospace; font-size: 12px; }
pre { background: #fff; padding: 8px; overflow: auto; border: 1px solid #e3e5ea; }
.status-running, .status-pending { color: #8a5a00; }
.status-completed, .status-approved, .ok { color: #146c2e; }
.status-failed, .status-rejected, .status-expired, .status-terminated, .status-timed_out, .refused { color: #a11; }
.approval .summary { font-family: ui-monospace, monospace; }
.error { color: #a11; }
.readonly { color: #ccd; margin: 0; }
`;
