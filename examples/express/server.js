'use strict';
// The Express server of the forever guide (SPEC §7). Everything the guide
// hand-writes around it (restarts, log rotation, memory/CPU sampling, crash
// alerts) is done by forever itself: see forever.json / forever.toml.
const express = require('express');

const app = express();
const port = Number(process.env.PORT || 3000);

app.get('/', (req, res) => {
  res.json({
    message: 'Hello from a process kept alive by forever',
    timestamp: new Date().toISOString(),
    processId: process.pid,
    uptime: process.uptime(),
  });
});

app.get('/health', (req, res) => {
  res.json({ status: 'healthy', memory: process.memoryUsage(), cpu: process.cpuUsage() });
});

// With `--listen PORT` foreverd holds the port and passes it as fd 3, so
// `foreverctl reload my-app` swaps runs without refusing a connection.
const where = process.env.LISTEN_FDS === '1' ? { fd: 3 } : { port };
const server = app.listen(where, () => {
  console.log(`server listening on ${where.fd ? 'fd 3' : `port ${port}`} (pid ${process.pid})`);
});

process.on('SIGTERM', () => {
  console.log('SIGTERM: closing');
  server.close(() => process.exit(0));
});
