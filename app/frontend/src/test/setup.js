import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor give up after 1 s by default: a busy CI machine (2 cores,
// several suites at once) can take longer to render a form, and a timeout
// there is a false failure. A real defect still fails, only later.
configure({ asyncUtilTimeout: 10000 });

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
