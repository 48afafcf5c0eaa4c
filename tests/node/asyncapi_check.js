// Parse an AsyncAPI document (JSON or YAML) with the official parser and
// print its diagnostics as JSON lines; exit 0 when there is no error
// (severity 0), 1 otherwise. Used by tests/integration/catalog_binary.rs.
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

async function main() {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(text);
  let errors = 0;
  for (const d of diagnostics) {
    if (d.severity === 0) errors++;
    console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
  }
  if (document) {
    const names = document.messages().all().map((m) => m.name());
    console.log(JSON.stringify({ messages: names.sort() }));
  }
  process.exit(errors === 0 && document ? 0 : 1);
}
main().catch((e) => { console.error(e); process.exit(2); });
