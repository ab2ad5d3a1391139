import { describe, expect, it } from '@jest/globals';
import { gitEnvironment } from '../../../src/lib/git-env.js';

describe('gitEnvironment', () => {
  it("keeps the host's git variables, opens only their guards, drops editors and pagers, never prompts", () => {
    const { env, allowEnvironment, unsafe } = gitEnvironment({
      PATH: '/usr/bin',
      GIT_SSH_COMMAND: 'ssh -i key',
      EDITOR: 'vim',
      GIT_PAGER: 'less',
      HOME: '/home/x',
    });
    expect(env).toEqual({ PATH: '/usr/bin', GIT_SSH_COMMAND: 'ssh -i key', HOME: '/home/x', GIT_TERMINAL_PROMPT: '0' });
    expect(allowEnvironment).toEqual(expect.arrayContaining(['GIT_SSH_COMMAND', 'GIT_TERMINAL_PROMPT']));
    expect(unsafe).toEqual({ allowUnsafeSshCommand: true });
  });
});
