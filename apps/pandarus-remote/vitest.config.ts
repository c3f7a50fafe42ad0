import { defineProject } from 'vitest/config';
import { serviceProjectConfig } from '../../vitest.shared.js';

export default defineProject(serviceProjectConfig('pandarus-remote'));
