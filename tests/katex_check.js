// Reads a JSON list of [latex, displayMode] pairs on stdin; prints a JSON list of KaTeX errors.
const katex = require("katex");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const errors = [];
  for (const [source, display] of JSON.parse(input)) {
    try {
      katex.renderToString(source, { displayMode: display, throwOnError: true, strict: "error" });
    } catch (error) {
      errors.push({ source: source.slice(0, 300), message: String(error.message).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(errors));
});
