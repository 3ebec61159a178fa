/** The exported page's HTML and style: static text, filled in by the scripts in src/export/page. */

/**
 * Everything comes from the page's own origin; connect-src 'self' keeps images from being sent anywhere.
 * A meta policy binds the page; its worker is bound by the server's header (test/export/web-page.test.ts sends one).
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>White blood cell classifier</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="style.css">
<script type="module" src="js/export/page/app.js"></script>
</head>
<body data-state="loading">
<h1>White blood cell classifier</h1>
<p class="note">Runs in this browser: the images are never sent anywhere. For research use; a person checks every result.</p>
<div id="drop">Drop images here, or <label>pick them <input id="pick" type="file" accept="image/*" multiple disabled></label></div>
<progress id="progress" value="0" max="1"></progress>
<p id="status">Loading the model…</p>
<button id="download" type="button" disabled>Download CSV</button>
<button id="download-differential" type="button" disabled>Download differential CSV</button>
<h2 id="differential-title">Differential count</h2>
<table><thead><tr><th>Category</th><th>Count</th><th>Share</th><th>95% interval</th></tr></thead><tbody id="differential"></tbody></table>
<section id="non-white-section">
<h2>Not white cells, not in the differential</h2>
<table><thead><tr><th>Kind</th><th>Count</th><th>Reported as</th></tr></thead><tbody id="non-white"></tbody></table>
</section>
<h2>Images</h2>
<table><thead><tr><th>Image</th><th>File</th><th>Prediction</th><th>Confidence</th><th>Category</th><th>Category confidence</th><th>Needs review</th></tr></thead><tbody id="results"></tbody></table>
</body>
</html>
`;

export const STYLE_CSS = `body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
#drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; margin: 1rem 0; }
#drop.over { background: #eef5ff; border-color: #36c; }
progress { width: 100%; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; }
tr.review td { background: #fff4e0; }
tr.detail td:first-child { padding-left: 2rem; color: #555; }
tr.ratio td { font-style: italic; }
body:not([data-non-white="yes"]) #non-white-section { display: none; }
img.thumb { width: 96px; height: 96px; object-fit: cover; display: block; }
.note { color: #555; }
`;
