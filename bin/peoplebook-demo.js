#!/usr/bin/env node
// `npm start`: runs bin/demo.ts through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('./demo.ts');
