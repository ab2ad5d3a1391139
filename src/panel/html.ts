/**
 * The panel's HTML: template strings through one escaping helper. Every value interpolated into `html`
 * is escaped unless it is already Html (the output of another `html`), so a commit subject with
 * `<img onerror=…>` stays text wherever it lands, element or attribute.
 */

/** Markup that was built by `html`: safe to interpolate as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping helper: text for an element or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

function piece(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: literal parts as written, every value escaped (arrays of Html joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export interface PageOptions {
  title: string;
  /** The per-process CSRF token the script sends back in X-CSRF-Token. */
  csrf: string;
  /** Seconds; the page reloads itself (a meta refresh, no script). */
  refresh?: number;
  /** Whether decisions are possible at all (some operator token is configured). */
  decisions: boolean;
}

/** The frame of every page: no inline script or style, the CSP allows only this origin's files. */
export function page(options: PageOptions, body: Html): string {
  const refresh = options.refresh === undefined ? '' : html`<meta http-equiv="refresh" content="${options.refresh}" />`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${options.csrf}" />
        ${refresh}
        <title>${options.title} · supervisor</title>
        <link rel="stylesheet" href="/panel/panel.css" />
        <script src="/panel/app.js" defer></script>
      </head>
      <body>
        <header>
          <h1><a href="/">supervisor</a> · ${options.title}</h1>
          ${
            options.decisions
              ? html`<form id="token-form" class="token" autocomplete="off">
                  <label
                    >Operator token <input type="password" id="operator-token" name="operator-token" autocomplete="off"
                  /></label>
                  <button type="submit" id="token-save">Use for this tab</button>
                  <button type="button" id="token-forget">Forget</button>
                  <span id="token-state" role="status"></span>
                </form>`
              : html`<p class="readonly">Read-only: no operator tokens are configured (http.operator_tokens).</p>`
          }
        </header>
        <main>${body}</main>
      </body>
    </html> `.text;
}
