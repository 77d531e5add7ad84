// Draws each <pre class="mermaid"> of the page with the vendored Mermaid (no CDN). The
// text of the diagram stays readable if the script does not run.
mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "neutral" });
