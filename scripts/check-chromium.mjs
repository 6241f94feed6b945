#!/usr/bin/env node
// Browser and end-to-end tests need a real Chromium. Say how to get one instead of failing obscurely.
import { chromiumPath } from './chromium.mjs';

if (!chromiumPath()) {
  console.error(
    'ctfl-opt/E110: no Chromium found for the browser tests.\n' +
      '  Install Debian\'s package:  sudo apt-get update && sudo apt-get install -y chromium\n' +
      '  or point CHROME_PATH at a Chromium/Chrome executable:  CHROME_PATH=/path/to/chrome npm test',
  );
  process.exit(1);
}
