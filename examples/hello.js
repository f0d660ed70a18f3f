'use strict';
// The smallest app to supervise: the server of the forever guide (SPEC §7)
// with Node's own http module, so it runs without `npm install`.
// GET / → {message, timestamp, processId, uptime}; GET /health → {status,
// memory, cpu}. Listens on PORT (default 3000).
const http = require('http');

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  let body;
  if (req.url === '/health') {
    body = { status: 'healthy', memory: process.memoryUsage(), cpu: process.cpuUsage() };
  } else if (req.url === '/') {
    body = {
      message: 'Hello from a process kept alive by forever',
      timestamp: new Date().toISOString(),
      processId: process.pid,
      uptime: process.uptime(),
    };
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
server.listen(port, () => console.log(`listening on port ${port} (pid ${process.pid})`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
