// Preloaded (--require) into emulator child processes: exit when the parent process is gone, even if it
// was killed outright and had no chance to stop its children.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
