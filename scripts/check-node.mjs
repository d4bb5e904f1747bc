// Stops `npm ci`, `npm start` and `npm test` on a Node.js older than the project needs, with a message,
// before anything else runs (older Node cannot run the TypeScript sources and may crash silently).
// Plain JavaScript that even very old Node versions parse.
var required = [22, 13];
var parts = process.versions.node.split('.').map(Number);
if (parts[0] < required[0] || (parts[0] === required[0] && parts[1] < required[1])) {
  console.error(
    'Clinic API needs Node.js ' + required.join('.') + ' or newer (Node.js 24 LTS recommended); this is ' + process.version + '.\n' +
      'Install Node.js 24 (for example: nvm install 24) and run the command again.',
  );
  process.exit(1);
}
