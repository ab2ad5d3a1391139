import { describe, expect, it } from '@jest/globals';
import type { ApprovalRow } from '../../../src/operator/approvals.js';
import { escapeHtml, html } from '../../../src/panel/html.js';
import { operatorFor } from '../../../src/panel/auth.js';
import { overviewPage } from '../../../src/panel/pages.js';

const hostile = `<img src=x onerror="alert(1)"> & 'quoted'`;

function approvalRow(summary: string): ApprovalRow {
  return {
    status: 'pending',
    task_id: 'rb_1',
    handler: 'rollback_code',
    label: 'undo',
    requested_by: 'ops',
    requested_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2026-01-01T00:30:00.000Z',
    request: { summary, facts: {}, fingerprint: '{}' },
    deciders: ['alice'],
    allow_self_approval: false,
    decision: null,
    superseded_by: null,
    worker_id: 'W1',
    workflow_id: 'W1/rb_1',
    run_id: 'r',
    running: true,
    age_ms: 1000,
    expires_in_ms: 60_000,
  };
}

describe('panel HTML', () => {
  it('escapes every interpolated value, element and attribute alike, and keeps Html as is', () => {
    expect(escapeHtml(hostile)).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quoted&#39;');
    const inner = html`<b>${hostile}</b>`;
    const out = html`<p title="${hostile}">${inner}${[html`<i>${'<x>'}</i>`, '<y>']}</p>`.text;
    expect(out).toBe(`<p title="${escapeHtml(hostile)}"><b>${escapeHtml(hostile)}</b><i>&lt;x&gt;</i>&lt;y&gt;</p>`);
  });

  it('a commit subject with <img onerror> in an approval summary is text on the overview', () => {
    const body = overviewPage(
      {
        workers: { ok: true, value: [] },
        approvals: { ok: true, value: [approvalRow(`revert 1 commit(s) on abc: abc ${hostile}`)] },
        tasks: { ok: false, error: '<script>boom</script>' },
      },
      { csrf: 'tok"en', decisions: true },
    );
    expect(body).not.toContain('<img');
    expect(body).not.toContain('<script>boom');
    expect(body).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(body).toContain('<meta name="csrf-token" content="tok&quot;en" />');
    // The only script is the external file; no inline handlers anywhere.
    expect(body.match(/<script/g)).toHaveLength(1);
    expect(body).toContain('<script src="/panel/app.js" defer></script>');
    expect(body).not.toMatch(/\son[a-z]+=["a-z]/);
    expect(body).toContain('data-kind="approve" data-worker="W1" data-task="rb_1"');
  });

  it('a read-only panel (no operator tokens) shows no decision buttons', () => {
    const body = overviewPage(
      {
        workers: { ok: true, value: [] },
        approvals: { ok: true, value: [approvalRow('x')] },
        tasks: { ok: true, value: [] },
      },
      { csrf: 'c', decisions: false },
    );
    expect(body).not.toContain('data-kind=');
    expect(body).toContain('Read-only');
  });
});

describe('operator tokens', () => {
  const tokens = { alice: 'a'.repeat(24), bob: 'b'.repeat(24) };
  it('names the operator whose token the Bearer header carries, else null', () => {
    expect(operatorFor(tokens, `Bearer ${'b'.repeat(24)}`)).toBe('bob');
    expect(operatorFor(tokens, `bearer ${'a'.repeat(24)}`)).toBe('alice');
    expect(operatorFor(tokens, `Bearer ${'a'.repeat(23)}`)).toBeNull();
    expect(operatorFor(tokens, 'a'.repeat(24))).toBeNull();
    expect(operatorFor(tokens, 'Bearer ')).toBeNull();
    expect(operatorFor(tokens, undefined)).toBeNull();
    expect(operatorFor({}, `Bearer ${'a'.repeat(24)}`)).toBeNull();
  });
});
